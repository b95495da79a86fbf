"""The wage table of a sheet (工资表): read from CSV or XLSX, or given as JSON lines, and
checked line by line against the month's roster and the workers' cards (pure).

Columns, English or Chinese: ``id_number``/``身份证号``, ``name``/``姓名``,
``days_worked``/``出勤天数``, ``hours_worked``/``工时``, ``amount``/``应发金额``,
``note``/``备注`` (optional). Every bad line is named; a table with one is refused whole.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from infra.errors import FieldProblem, InvalidInputError

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("100000.00")
MAX_LINES = 5000

_HEADERS = {
    "id_number": "id_number", "身份证号": "id_number", "身份证号码": "id_number",
    "name": "name", "姓名": "name",
    "days_worked": "days_worked", "出勤天数": "days_worked",
    "hours_worked": "hours_worked", "工时": "hours_worked",
    "amount": "amount", "应发金额": "amount", "实发金额": "amount",
    "note": "note", "备注": "note",
}  # fmt: skip
_REQUIRED = ("id_number", "name", "days_worked", "amount")


@dataclass(frozen=True)
class TableLine:
    """A line as written by the officer (the row number names it in problems)."""

    row: int
    id_number: str
    name: str
    days_worked: int
    hours_worked: Decimal
    amount: Decimal
    note: str


@dataclass(frozen=True)
class Payee:
    """What the platform knows of a worker for this sheet."""

    worker_id: int
    name: str
    on_roster: bool  # registered in the project during the sheet's month
    card_id: int | None  # the card bound when the sheet was created


@dataclass(frozen=True)
class CheckedLine:
    worker_id: int
    card_id: int
    days_worked: int
    hours_worked: Decimal
    amount: Decimal
    note: str


def _problem(row: int, column: str, reason: str, zh: str) -> FieldProblem:
    return FieldProblem(f"lines.{row}.{column}", reason, f"第{row}行：{zh}")


def read_table(data: bytes, content_type: str) -> list[dict[str, Any]]:
    """Rows of an uploaded table as dicts keyed by our column names."""
    if "spreadsheetml" in content_type or data[:2] == b"PK":
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel in China writes as CSV
        except UnicodeDecodeError:
            raise InvalidInputError(
                [FieldProblem("body", "neither UTF-8 nor GB18030 text", "文件编码无法识别")]
            ) from None
    try:
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InvalidInputError(
            [FieldProblem("body", f"not CSV: {exc}", "无法读取 CSV 文件")]
        ) from None
    return _keyed(rows)


def _read_xlsx(data: bytes) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
    except Exception as exc:
        log.info("unreadable XLSX upload: %s", type(exc).__name__)
        raise InvalidInputError(
            [FieldProblem("body", f"not a readable XLSX workbook: {exc}", "无法读取 XLSX 文件")]
        ) from None
    return _keyed(rows)


def _keyed(rows: list[list[Any]]) -> list[dict[str, Any]]:
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if not rows:
        raise InvalidInputError([FieldProblem("body", "the table is empty", "工资表为空")])
    header = [_HEADERS.get(str(cell or "").strip()) for cell in rows[0]]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        reason = f"missing columns: {', '.join(missing)}"
        raise InvalidInputError([FieldProblem("body", reason, "工资表缺少必需的列")])
    if len(rows) - 1 > MAX_LINES:
        raise InvalidInputError(
            [FieldProblem("body", f"at most {MAX_LINES} lines", f"工资表最多{MAX_LINES}行")]
        )
    return [
        {name: cell for name, cell in zip(header, row, strict=False) if name is not None}
        for row in rows[1:]
    ]


def parse_lines(rows: Sequence[Mapping[str, Any]]) -> list[TableLine]:
    """Typed lines, or every formatting problem at once."""
    lines, problems = read_lines(rows)
    if problems:
        raise InvalidInputError(problems)
    return lines


def read_lines(rows: Sequence[Mapping[str, Any]]) -> tuple[list[TableLine], list[FieldProblem]]:
    """The well-formed lines, and a problem for each field of the others."""
    problems: list[FieldProblem] = []
    lines = []
    for row, raw in enumerate(rows, start=1):
        before = len(problems)
        id_number = str(raw.get("id_number") or "").strip().upper()
        name = str(raw.get("name") or "").strip()
        if not id_number:
            problems.append(_problem(row, "id_number", "required", "缺少身份证号"))
        if not name:
            problems.append(_problem(row, "name", "required", "缺少姓名"))
        days = _integer(raw.get("days_worked"))
        if days is None or not 0 <= days <= 31:
            problems.append(
                _problem(row, "days_worked", "a whole number 0-31", "出勤天数应为0至31")
            )
        hours = _decimal(
            raw.get("hours_worked") if raw.get("hours_worked") not in (None, "") else 0
        )
        if hours is None or not 0 <= hours <= 744:
            problems.append(_problem(row, "hours_worked", "a number 0-744", "工时应为0至744"))
        amount = _decimal(raw.get("amount"))
        if (
            amount is None
            or not 0 < amount <= MAX_AMOUNT
            or amount != amount.quantize(Decimal("0.01"))
        ):
            problems.append(
                _problem(
                    row,
                    "amount",
                    f"out of range: more than 0, at most {MAX_AMOUNT}, in fen",
                    "金额超出范围（须大于0且不超过100000元，精确到分）",
                )
            )
        note = str(raw.get("note") or "").strip()[:200]
        if len(problems) == before:
            assert days is not None and hours is not None and amount is not None
            lines.append(TableLine(row, id_number, name, days, hours, amount, note))
    return lines, problems


def check_lines(
    lines: list[TableLine],
    payees: Mapping[str, Payee],
    *,
    malformed: Sequence[FieldProblem] = (),
) -> list[CheckedLine]:
    """Each line against the platform: a registered worker by that name, on the month's
    roster, with a bound card, once. Every problem at once, with the ``malformed`` lines'
    own, in row order; nothing if any."""
    problems: list[FieldProblem] = list(malformed)
    checked = []
    seen: dict[int, int] = {}
    for line in lines:
        payee = payees.get(line.id_number)
        if payee is None:
            problems.append(
                _problem(
                    line.row,
                    "id_number",
                    "no registered worker has this ID number",
                    "未找到该身份证号的实名登记",
                )
            )
            continue
        if payee.name != line.name:
            problems.append(
                _problem(
                    line.row, "name", "does not match the registered name", "姓名与实名登记不一致"
                )
            )
            continue
        if not payee.on_roster:
            problems.append(
                _problem(
                    line.row,
                    "id_number",
                    "worker not on the project's roster that month",
                    "该工人当月不在项目花名册中",
                )
            )
            continue
        if payee.card_id is None:
            problems.append(
                _problem(
                    line.row, "id_number", "worker has no bank card bound", "该工人未绑定工资卡"
                )
            )
            continue
        if payee.worker_id in seen:
            problems.append(
                _problem(
                    line.row,
                    "id_number",
                    f"duplicate line (same worker as row {seen[payee.worker_id]})",
                    f"重复行（与第{seen[payee.worker_id]}行为同一工人）",
                )
            )
            continue
        seen[payee.worker_id] = line.row
        checked.append(
            CheckedLine(
                payee.worker_id,
                payee.card_id,
                line.days_worked,
                line.hours_worked,
                line.amount,
                line.note,
            )
        )
    if problems:
        raise InvalidInputError(sorted(problems, key=_row_of))
    return checked


def _row_of(problem: FieldProblem) -> int:
    parts = problem.field.split(".")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
