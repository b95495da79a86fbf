"""The bank's side of a payroll sheet: the bank file (step c), the workers' pay notices,
the bank's return reconciled line by line (step d), and the supplementary sheet that pays
failed lines again. Same tables and state machine as :mod:`api.stores.payroll_sheets`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from psycopg import AsyncConnection

from api.payroll.bank_files import PROFILES, PaymentOrder, ReturnLine, SheetHeader
from api.payroll.wage_table import CheckedLine
from api.stores.audit import audit
from api.stores.payroll_sheets import (
    SheetDetail,
    advance_sheet,
    card_at,
    get_sheet,
    insert_lines,
    line_fact,
    lock_sheet,
    sheet_detail,
    sheet_fact,
)
from infra.errors import ConflictError, FieldProblem, InvalidInputError
from streams.local_time import BEIJING


@dataclass(frozen=True)
class BankFile:
    header: SheetHeader
    plaintext: bytes
    profile: str


async def export_bank_file(
    conn: AsyncConnection[Any],
    sheet_id: int,
    open_card: Any,
    *,
    profile: str,
    actor: str,
) -> BankFile:
    """Step (c): the bank file of a signed sheet (again, for a sent one: the same lines).
    ``open_card(card_id)`` gives a card's number and issuer."""
    async with conn.transaction():
        sheet = await lock_sheet(conn, sheet_id, "signed", "sent")
        account = await conn.execute(
            "SELECT a.account_number, a.bank_code FROM wage_accounts a"
            " JOIN payroll_sheets s ON s.account_id = a.account_id WHERE s.sheet_id = %s",
            (sheet_id,),
        )
        account_row = await account.fetchone()
        assert account_row is not None
        cursor = await conn.execute(
            "SELECT l.line_id, c.holder_name, l.card_id, l.amount FROM payroll_lines l"
            " JOIN bank_cards c ON c.card_id = l.card_id"
            " WHERE l.sheet_id = %s AND l.current ORDER BY l.line_id",
            (sheet_id,),
        )
        orders = []
        for line_id, holder, card_id, amount in await cursor.fetchall():
            number, issuer = await open_card(int(card_id))
            orders.append(PaymentOrder(int(line_id), str(holder), number, issuer, amount))
        header = SheetHeader(
            sheet_id,
            str(account_row[0]),
            str(account_row[1]),
            date.fromisoformat(sheet.month + "-01"),
        )
        plaintext = PROFILES[profile].export(header, orders)
        if sheet.state == "signed":
            await advance_sheet(
                conn,
                sheet,
                "sent",
                actor,
                bank_profile=profile,
                bank_file_sha256=hashlib.sha256(plaintext).hexdigest(),
                sent_at=datetime.now(UTC),
            )
    return BankFile(header, plaintext, profile)


async def pay_messages(
    conn: AsyncConnection[Any], sheet_id: int, line_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """What each worker is told about their line now (for their channel)."""
    sql = (
        "SELECT l.line_id, l.worker_id, l.status, l.amount, s.project_id, s.sheet_id,"
        " to_char(s.month, 'YYYY-MM'), p.name FROM payroll_lines l"
        " JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
        " JOIN projects p ON p.project_id = s.project_id"
        " WHERE l.sheet_id = %s AND l.current"
    )
    params: list[Any] = [sheet_id]
    if line_ids is not None:
        sql += " AND l.line_id = ANY(%s)"
        params.append(line_ids)
    cursor = await conn.execute(sql, params)
    messages = []
    for line_id, worker_id, status, amount, project_id, sid, month, name in await cursor.fetchall():
        shown = "sent" if status == "pending" else status
        title = {
            "sent": f"{month}工资 {amount}元 已提交银行代发（{name}）",
            "paid": f"{month}工资 {amount}元 已到账（{name}），以银行实际到账为准",
            "failed": f"{month}工资 {amount}元 发放失败（{name}），企业将重新发放",
        }[shown]
        messages.append(
            {
                "worker_id": int(worker_id),
                "project_id": str(project_id),
                "sheet_id": int(sid),
                "line_id": int(line_id),
                "status": shown,
                "amount": str(amount),
                "month": str(month),
                "title_zh": title,
            }
        )
    return messages


@dataclass(frozen=True)
class ReturnOutcome:
    sheet: SheetDetail
    already_imported: bool
    settled_line_ids: list[int]


async def import_return(
    conn: AsyncConnection[Any],
    sheet_id: int,
    data: bytes,
    lines: list[ReturnLine],
    *,
    actor: str,
) -> ReturnOutcome:
    """Step (d): the bank's return, reconciled line by line. The same file twice changes
    nothing; a line the sheet does not have, or one settled already, refuses the file."""
    digest = hashlib.sha256(data).hexdigest()
    async with conn.transaction():
        sheet = await lock_sheet(conn, sheet_id, "sent", "reconciled", "partly_failed")
        seen = await conn.execute(
            "SELECT 1 FROM bank_returns WHERE sheet_id = %s AND file_sha256 = %s",
            (sheet_id, digest),
        )
        if await seen.fetchone() is not None:
            return ReturnOutcome(await sheet_detail(conn, sheet_id), True, [])
        if sheet.state != "sent":
            raise ConflictError(
                f"sheet {sheet_id} is settled already", message_zh="该工资单已完成对账"
            )
        cursor = await conn.execute(
            "SELECT line_id, status FROM payroll_lines WHERE sheet_id = %s AND current",
            (sheet_id,),
        )
        status_of = {int(line_id): str(status) for line_id, status in await cursor.fetchall()}
        sent_on = (sheet.sent_at or datetime.now(UTC)).astimezone(BEIJING).date()
        today = datetime.now(BEIJING).date()
        problems = []
        for number, line in enumerate(lines, start=2):
            where = f"row {number}.line_id"
            if line.line_id not in status_of:
                problems.append(
                    FieldProblem(
                        where,
                        f"sheet {sheet_id} has no line {line.line_id}",
                        f"第{number}行：工资单中没有该行",
                    )
                )
            elif status_of[line.line_id] != "pending":
                problems.append(
                    FieldProblem(
                        where,
                        f"line {line.line_id} is {status_of[line.line_id]} already:"
                        " it cannot be paid twice",
                        f"第{number}行：该行已对账，不能重复发放",
                    )
                )
            elif line.paid_on is not None and not sent_on <= line.paid_on <= today:
                problems.append(
                    FieldProblem(
                        f"row {number}.paid_on",
                        "must lie between the day the file was sent and today",
                        f"第{number}行：到账日期不在提交银行之后至今天之间",
                    )
                )
        if problems:
            raise InvalidInputError(problems)
        for line in lines:
            await conn.execute(
                "UPDATE payroll_lines SET status = %s, paid_on = %s, bank_ref = %s,"
                " failure_reason = %s, settled_at = now() WHERE line_id = %s",
                (
                    line.result,
                    line.paid_on,
                    line.bank_ref or None,
                    line.reason if line.result == "failed" else None,
                    line.line_id,
                ),
            )
            fact = "payment" if line.result == "paid" else "failure"
            await line_fact(conn, fact, sheet, line.line_id)
        paid = sum(1 for line in lines if line.result == "paid")
        await conn.execute(
            "INSERT INTO bank_returns (sheet_id, file_sha256, imported_by, paid, failed)"
            " VALUES (%s, %s, %s, %s, %s)",
            (sheet_id, digest, actor, paid, len(lines) - paid),
        )
        await audit(
            conn,
            actor=actor,
            action="payroll.bank_return",
            entity="payroll_sheet",
            entity_id=str(sheet_id),
            detail={"sha256": digest, "paid": paid, "failed": len(lines) - paid},
        )
        settled = {line.line_id: line.result for line in lines}
        after = {line_id: settled.get(line_id, status) for line_id, status in status_of.items()}
        if "pending" not in after.values():
            final = "partly_failed" if "failed" in after.values() else "reconciled"
            await advance_sheet(conn, sheet, final, actor, settled_at=datetime.now(UTC))
    return ReturnOutcome(await sheet_detail(conn, sheet_id), False, list(settled))


async def create_supplementary(
    conn: AsyncConnection[Any], sheet_id: int, *, actor: str
) -> SheetDetail:
    """A supplementary sheet (补发) paying again every failed line not yet retried, to the
    card each worker has bound now. It starts with its table done."""
    async with conn.transaction():
        parent = await lock_sheet(conn, sheet_id, "partly_failed")
        cursor = await conn.execute(
            "SELECT l.line_id, l.worker_id, l.days_worked, l.hours_worked, l.amount"
            " FROM payroll_lines l WHERE l.sheet_id = %s AND l.current AND l.status = 'failed'"
            " AND NOT EXISTS (SELECT 1 FROM payroll_lines r WHERE r.retry_of_line_id = l.line_id)",
            (sheet_id,),
        )
        failed = await cursor.fetchall()
        if not failed:
            raise ConflictError(
                "every failed line is being paid again already", message_zh="失败的工资已在补发中"
            )
        created = await conn.execute(
            "INSERT INTO payroll_sheets (project_id, enterprise_id, month, kind, parent_sheet_id,"
            " account_id, state, revision, created_by) SELECT project_id, enterprise_id, month,"
            " 'supplementary', sheet_id, account_id, 'draft', 1, %s FROM payroll_sheets"
            " WHERE sheet_id = %s RETURNING sheet_id",
            (actor, sheet_id),
        )
        row = await created.fetchone()
        assert row is not None
        sheet = await get_sheet(conn, int(row[0]))
        lines, retry_of, problems = [], {}, []
        for line_id, worker_id, days, hours, amount in failed:
            card = await card_at(conn, int(worker_id), sheet.created_at)
            if card is None:
                problems.append(
                    FieldProblem(
                        f"line {line_id}",
                        "the worker has no card bound now",
                        "该工人当前未绑定工资卡",
                    )
                )
                continue
            lines.append(
                CheckedLine(
                    int(worker_id), card, int(days), hours, amount, f"补发：原第{line_id}行"
                )
            )
            retry_of[int(worker_id)] = int(line_id)
        if problems:
            raise InvalidInputError(problems)
        await insert_lines(conn, sheet, 1, lines, retry_of)
        await sheet_fact(conn, sheet, "draft", None, parent_sheet_id=parent.sheet_id)
        await advance_sheet(conn, sheet, "table", actor)
    return await sheet_detail(conn, sheet.sheet_id)
