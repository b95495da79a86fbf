"""Bank file profiles: what a bank receives to pay a sheet, and what it sends back (回盘).

The generic profile ``generic-csv/1`` is documented in the README; other banks' layouts
plug in as further :class:`BankProfile` implementations. Parsing a return is total: every
bad row is named, and nothing is applied unless the whole file is good.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from infra.errors import FieldProblem, InvalidInputError


@dataclass(frozen=True)
class PaymentOrder:
    """One line of a bank file: pay ``amount`` to this card."""

    line_id: int
    holder_name: str
    card_number: str
    card_bank: str
    amount: Decimal


@dataclass(frozen=True)
class SheetHeader:
    sheet_id: int
    account_number: str
    account_bank: str
    month: date


@dataclass(frozen=True)
class ReturnLine:
    """One line of a bank return: paid on a date with the bank's reference, or failed."""

    line_id: int
    result: Literal["paid", "failed"]
    paid_on: date | None
    bank_ref: str
    reason: str


class BankProfile(Protocol):
    name: str

    def export(self, header: SheetHeader, orders: list[PaymentOrder]) -> bytes: ...

    def parse_return(self, data: bytes) -> list[ReturnLine]: ...


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


class GenericCsv:
    """``generic-csv/1``: UTF-8 CSV. ``H`` header row, one ``D`` row per payment, ``T``
    trailer with the count, the total and the sha256 of the D rows as written."""

    name = "generic-csv/1"

    def export(self, header: SheetHeader, orders: list[PaymentOrder]) -> bytes:
        details = io.StringIO()
        writer = csv.writer(details, lineterminator="\n")
        for order in orders:
            writer.writerow(
                [
                    "D",
                    order.line_id,
                    order.holder_name,
                    order.card_number,
                    order.card_bank,
                    _money(order.amount),
                    f"{header.month:%Y-%m} 工资",
                ]
            )
        body = details.getvalue()
        total = sum((order.amount for order in orders), Decimal(0))
        out = io.StringIO()
        head = csv.writer(out, lineterminator="\n")
        head.writerow(
            [
                "H",
                header.sheet_id,
                header.account_number,
                header.account_bank,
                f"{header.month:%Y-%m}",
                len(orders),
                _money(total),
            ]
        )
        out.write(body)
        checksum = hashlib.sha256(body.encode()).hexdigest()
        head.writerow(["T", len(orders), _money(total), checksum])
        return out.getvalue().encode()

    def parse_return(self, data: bytes) -> list[ReturnLine]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError(
                [FieldProblem("body", "a bank return must be UTF-8 CSV", "回盘文件应为 UTF-8 CSV")]
            ) from None
        try:
            rows = list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise InvalidInputError(
                [FieldProblem("body", f"not CSV: {exc}", "无法读取回盘 CSV 文件")]
            ) from None
        wanted = {"line_id", "result", "paid_on", "bank_ref", "reason"}
        if not rows or not wanted <= set(rows[0]):
            problem = FieldProblem(
                "body", f"columns must be {', '.join(sorted(wanted))}", "回盘文件缺少必需的列"
            )
            raise InvalidInputError([problem])
        problems: list[FieldProblem] = []
        lines: list[ReturnLine] = []
        seen: set[int] = set()
        for number, row in enumerate(rows, start=2):
            line = _return_line(row, number, problems)
            if line is None:
                continue
            if line.line_id in seen:
                problems.append(_row(number, "line_id", "names a line twice", "同一行重复出现"))
                continue
            seen.add(line.line_id)
            lines.append(line)
        if problems:
            raise InvalidInputError(problems)
        return lines


def _row(number: int, column: str, reason: str, zh: str) -> FieldProblem:
    return FieldProblem(f"row {number}.{column}", reason, f"第{number}行：{zh}")


def _return_line(
    row: dict[str, str | None], number: int, problems: list[FieldProblem]
) -> ReturnLine | None:
    raw_id = (row.get("line_id") or "").strip()
    result = (row.get("result") or "").strip()
    raw_date = (row.get("paid_on") or "").strip()
    bank_ref = (row.get("bank_ref") or "").strip()
    reason = (row.get("reason") or "").strip()
    before = len(problems)
    if not (raw_id.isascii() and raw_id.isdigit() and 0 < int(raw_id) < 2**63):
        problems.append(_row(number, "line_id", "must be a line id", "行号不正确"))
    if result not in ("paid", "failed"):
        problems.append(_row(number, "result", "must be paid or failed", "结果应为 paid 或 failed"))
    paid_on = None
    if result == "paid":
        try:
            paid_on = date.fromisoformat(raw_date)
        except ValueError:
            problems.append(_row(number, "paid_on", "a paid line needs its date", "缺少到账日期"))
        if not bank_ref:
            problems.append(
                _row(number, "bank_ref", "a paid line needs the bank's reference", "缺少银行流水号")
            )
    if result == "failed" and not reason:
        problems.append(_row(number, "reason", "a failed line needs the reason", "缺少失败原因"))
    if len(problems) > before:
        return None
    return ReturnLine(
        int(raw_id), "paid" if result == "paid" else "failed", paid_on, bank_ref, reason
    )


PROFILES: dict[str, BankProfile] = {GenericCsv.name: GenericCsv()}
DEFAULT_PROFILE = GenericCsv.name
