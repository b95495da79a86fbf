"""Payroll sheets (工资单) and their lines: the only writer of ``payroll_sheets``,
``payroll_lines`` and ``bank_returns``.

A sheet moves only forward: draft → table → signed → sent → reconciled or partly_failed.
Each step is audited and published as a payroll fact. Nothing is deleted: a new table is a
new revision of lines; a failed line is paid again by a line of a supplementary sheet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.identity import mask_id_number
from api.payroll.bank_files import PROFILES, PaymentOrder, ReturnLine, SheetHeader
from api.payroll.wage_table import CheckedLine, Payee, TableLine, check_lines
from api.stores.audit import audit
from api.stores.outbox import record_payroll_fact
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from infra.metrics import EVENTS
from streams.local_time import BEIJING

STATES = ("draft", "table", "signed", "sent", "reconciled", "partly_failed")
_NEXT = {
    "draft": {"table"},
    "table": {"table", "signed"},
    "signed": {"sent"},
    "sent": {"sent", "reconciled", "partly_failed"},
    "reconciled": set(),
    "partly_failed": set(),
}
_STATE_ZH = {
    "draft": "草稿（待上传工资表）",
    "table": "工资表已上传（待工人签字）",
    "signed": "已签字（待提交银行）",
    "sent": "已提交银行（待回盘）",
    "reconciled": "已对账，全部发放成功",
    "partly_failed": "已对账，部分发放失败",
}


class SheetView(BaseModel):
    sheet_id: int
    project_id: str
    enterprise_id: int
    enterprise_name: str
    month: str
    kind: str
    parent_sheet_id: int | None
    state: str
    state_zh: str
    revision: int
    created_by: str
    created_at: datetime
    signed_by: str | None
    signed_file_sha256: str | None
    bank_profile: str | None
    bank_file_sha256: str | None
    sent_at: datetime | None
    settled_at: datetime | None
    lines: int = 0
    total: Decimal = Decimal(0)
    paid: int = 0
    failed: int = 0


class LineView(BaseModel):
    line_id: int
    worker_id: int
    name: str
    id_number_masked: str
    card_bank: str
    card_last4: str
    days_worked: int
    hours_worked: Decimal
    amount: Decimal
    note: str
    status: str
    worker_confirmed_at: datetime | None
    paid_on: date | None
    bank_ref: str | None
    failure_reason: str | None
    retried_by_line_id: int | None = None


class SheetDetail(SheetView):
    items: list[LineView]


@dataclass(frozen=True)
class Prefilled:
    """What the pre-fill could not put on the table, and why."""

    worker_id: int
    reason: str


_SHEET_SELECT = (
    "SELECT s.sheet_id, s.project_id, s.enterprise_id, e.name AS enterprise_name,"
    " to_char(s.month, 'YYYY-MM') AS month, s.kind, s.parent_sheet_id, s.state, s.revision,"
    " s.created_by, s.created_at, s.signed_by, s.signed_file_sha256, s.bank_profile,"
    " s.bank_file_sha256, s.sent_at, s.settled_at,"
    " (SELECT count(*) FROM payroll_lines l WHERE l.sheet_id = s.sheet_id AND l.current) AS lines,"
    " (SELECT coalesce(sum(amount), 0) FROM payroll_lines l"
    "   WHERE l.sheet_id = s.sheet_id AND l.current) AS total,"
    " (SELECT count(*) FROM payroll_lines l"
    "   WHERE l.sheet_id = s.sheet_id AND l.current AND l.status = 'paid') AS paid,"
    " (SELECT count(*) FROM payroll_lines l"
    "   WHERE l.sheet_id = s.sheet_id AND l.current AND l.status = 'failed') AS failed,"
    " '' AS state_zh"
    " FROM payroll_sheets s JOIN enterprises e ON e.enterprise_id = s.enterprise_id"
)

_LINE_SELECT = (
    "SELECT l.line_id, l.worker_id, w.name, w.id_number AS id_number_masked,"
    " c.bank_code AS card_bank, c.last4 AS card_last4, l.days_worked, l.hours_worked,"
    " l.amount, l.note, l.status, l.worker_confirmed_at, l.paid_on, l.bank_ref,"
    " l.failure_reason,"
    " (SELECT r.line_id FROM payroll_lines r WHERE r.retry_of_line_id = l.line_id"
    "   ORDER BY r.line_id DESC LIMIT 1) AS retried_by_line_id"
    " FROM payroll_lines l JOIN workers w ON w.worker_id = l.worker_id"
    " JOIN bank_cards c ON c.card_id = l.card_id"
)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _with_state(sheet: SheetView) -> SheetView:
    return sheet.model_copy(update={"state_zh": _STATE_ZH[sheet.state]})


async def get_sheet(conn: AsyncConnection[Any], sheet_id: int) -> SheetView:
    cursor = await reading(conn, SheetView).execute(
        f"{_SHEET_SELECT} WHERE s.sheet_id = %s", (sheet_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"payroll sheet {sheet_id} does not exist")
    return _with_state(row)


async def sheet_detail(conn: AsyncConnection[Any], sheet_id: int) -> SheetDetail:
    sheet = await get_sheet(conn, sheet_id)
    cursor = await reading(conn, LineView).execute(
        f"{_LINE_SELECT} WHERE l.sheet_id = %s AND l.current ORDER BY l.line_id", (sheet_id,)
    )
    lines = [
        line.model_copy(update={"id_number_masked": mask_id_number(line.id_number_masked)})
        for line in await cursor.fetchall()
    ]
    return SheetDetail(**sheet.model_dump(), items=lines)


async def list_sheets(
    conn: AsyncConnection[Any], project_ids: list[str], month: date | None
) -> list[SheetView]:
    sql = f"{_SHEET_SELECT} WHERE s.project_id = ANY(%s)"
    params: list[Any] = [project_ids]
    if month is not None:
        sql += " AND s.month = %s"
        params.append(month.replace(day=1))
    sql += " ORDER BY s.month DESC, s.sheet_id DESC LIMIT 500"
    cursor = await reading(conn, SheetView).execute(sql, params)
    return [_with_state(row) for row in await cursor.fetchall()]


async def sheet_states(
    conn: AsyncConnection[Any], projects: list[str], month: date
) -> dict[str, list[str]]:
    """The states of each project's sheets of a month, oldest sheet first."""
    cursor = await conn.execute(
        "SELECT project_id, state FROM payroll_sheets WHERE month = %s AND project_id = ANY(%s)"
        " ORDER BY sheet_id",
        (month.replace(day=1), projects),
    )
    found: dict[str, list[str]] = {}
    for project, state in await cursor.fetchall():
        found.setdefault(str(project), []).append(str(state))
    return found


async def _lock(conn: AsyncConnection[Any], sheet_id: int, *allowed: str) -> SheetView:
    """The sheet, locked for this transaction; 409 unless it is in one of ``allowed``."""
    await conn.execute("SELECT 1 FROM payroll_sheets WHERE sheet_id = %s FOR UPDATE", (sheet_id,))
    sheet = await get_sheet(conn, sheet_id)
    if sheet.state not in allowed:
        raise ConflictError(
            f"sheet {sheet_id} is {sheet.state}: this step needs {' or '.join(allowed)}",
            message_zh=f"工资单当前状态为“{_STATE_ZH[sheet.state]}”，不能执行此步骤",
        )
    return sheet


async def _sheet_fact(
    conn: AsyncConnection[Any], sheet: SheetView, state: str, previous: str | None, **extra: Any
) -> None:
    """A sheet's new state on the payroll topic."""
    data = {
        "sheet_id": sheet.sheet_id,
        "project_id": sheet.project_id,
        "enterprise_id": sheet.enterprise_id,
        "month": sheet.month,
        "kind": sheet.kind,
        "state": state,
        "previous": previous,
        **extra,
    }
    await record_payroll_fact(conn, "sheet", f"sheet:{sheet.sheet_id}", data)


async def _line_fact(conn: AsyncConnection[Any], fact: str, sheet: SheetView, line_id: int) -> None:
    """A line's whole state on the payroll topic (a later fact replaces an earlier one)."""
    cursor = await conn.execute(
        "SELECT worker_id, revision, current, days_worked, amount, status, paid_on,"
        " failure_reason FROM payroll_lines WHERE line_id = %s",
        (line_id,),
    )
    row = await cursor.fetchone()
    assert row is not None
    worker_id, revision, current, days, amount, status, paid_on, reason = row
    data = {
        "line_id": line_id,
        "sheet_id": sheet.sheet_id,
        "project_id": sheet.project_id,
        "enterprise_id": sheet.enterprise_id,
        "month": sheet.month,
        "kind": sheet.kind,
        "worker_id": int(worker_id),
        "revision": int(revision),
        "current": bool(current),
        "days_worked": int(days),
        "amount": str(amount),
        "status": str(status),
        "paid_on": paid_on.isoformat() if paid_on else None,
        "reason": reason,
    }
    await record_payroll_fact(conn, fact, f"sheet:{sheet.sheet_id}", data)


async def _advance(
    conn: AsyncConnection[Any], sheet: SheetView, state: str, actor: str, **columns: Any
) -> None:
    if state not in _NEXT[sheet.state]:
        raise ConflictError(f"a sheet cannot go from {sheet.state} to {state}")
    assignments = "".join(f", {name} = %({name})s" for name in columns)
    await conn.execute(
        f"UPDATE payroll_sheets SET state = %(state)s, updated_at = now(){assignments}"
        " WHERE sheet_id = %(sheet_id)s",
        {"state": state, "sheet_id": sheet.sheet_id, **columns},
    )
    await audit(
        conn,
        actor=actor,
        action=f"payroll.{state}",
        entity="payroll_sheet",
        entity_id=str(sheet.sheet_id),
        detail={"from": sheet.state, **{k: str(v) for k, v in columns.items()}},
    )
    await _sheet_fact(conn, sheet, state, sheet.state)
    EVENTS.labels("api", f"payroll_{state}").inc()


async def _card_at(conn: AsyncConnection[Any], worker_id: int, moment: datetime) -> int | None:
    """The card the worker had bound at ``moment`` (a sheet pays the card of its creation)."""
    cursor = await conn.execute(
        "SELECT card_id FROM bank_cards WHERE worker_id = %s AND bound_at <= %s"
        " AND (unbound_at IS NULL OR unbound_at > %s)",
        (worker_id, moment, moment),
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def _insert_lines(
    conn: AsyncConnection[Any],
    sheet: SheetView,
    revision: int,
    lines: list[CheckedLine],
    retry_of: Mapping[int, int] | None = None,
) -> None:
    for line in lines:
        cursor = await conn.execute(
            "INSERT INTO payroll_lines (sheet_id, revision, worker_id, card_id, days_worked,"
            " hours_worked, amount, note, retry_of_line_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING line_id",
            (
                sheet.sheet_id,
                revision,
                line.worker_id,
                line.card_id,
                line.days_worked,
                line.hours_worked,
                line.amount,
                line.note,
                (retry_of or {}).get(line.worker_id),
            ),
        )
        row = await cursor.fetchone()
        assert row is not None
        await _line_fact(conn, "line", sheet, int(row[0]))


async def create_sheet(
    conn: AsyncConnection[Any],
    project_id: str,
    enterprise_id: int,
    month: date,
    attendance: Mapping[str, tuple[int, int]],
    *,
    actor: str,
) -> tuple[SheetDetail, list[Prefilled]]:
    """A new sheet, its table pre-filled from the month's attendance and each worker's
    labour contract with the paying enterprise (daily rate × days, or the monthly wage)."""
    first, last = month_bounds(month)
    async with conn.transaction():
        account = await conn.execute(
            "SELECT account_id FROM wage_accounts WHERE project_id = %s", (project_id,)
        )
        account_row = await account.fetchone()
        if account_row is None:
            raise ConflictError(
                f"project {project_id} has no wage account: add one first",
                message_zh="项目尚未绑定工资专户，请先添加专户",
            )
        party = await conn.execute(
            "SELECT 1 FROM project_enterprises WHERE project_id = %s AND enterprise_id = %s",
            (project_id, enterprise_id),
        )
        if await party.fetchone() is None:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "enterprise_id", "does not take part in the project", "该企业未参建此项目"
                    )
                ]
            )
        cursor = await conn.execute(
            "INSERT INTO payroll_sheets (project_id, enterprise_id, month, kind, account_id, state,"
            " revision, created_by) VALUES (%s, %s, %s, 'regular', %s, 'draft', 1, %s)"
            " ON CONFLICT DO NOTHING RETURNING sheet_id",
            (project_id, enterprise_id, first, account_row[0], actor),
        )
        created = await cursor.fetchone()
        if created is None:
            raise ConflictError(
                f"enterprise {enterprise_id} already has a sheet for {first:%Y-%m} in {project_id}",
                message_zh="该企业本月的工资单已存在",
            )
        sheet = await get_sheet(conn, int(created[0]))
        contracts = await conn.execute(
            "SELECT DISTINCT ON (c.worker_id) c.worker_id, c.wage_basis, c.wage_amount"
            " FROM labour_contracts c WHERE c.project_id = %s AND c.enterprise_id = %s"
            " AND c.starts_on <= %s AND (c.ends_on IS NULL OR c.ends_on >= %s)"
            " ORDER BY c.worker_id, c.starts_on DESC",
            (project_id, enterprise_id, last, first),
        )
        lines: list[CheckedLine] = []
        skipped: list[Prefilled] = []
        for worker_id, basis, rate in await contracts.fetchall():
            days, seconds = attendance.get(str(worker_id), (0, 0))
            amount = Decimal(rate) * days if basis == "daily" else Decimal(rate)
            if basis == "piecework":
                skipped.append(Prefilled(worker_id, "piecework: enter the amount"))
                continue
            if days == 0 or amount <= 0:
                skipped.append(Prefilled(worker_id, "no attendance this month"))
                continue
            card = await _card_at(conn, worker_id, sheet.created_at)
            if card is None:
                skipped.append(Prefilled(worker_id, "no bank card bound"))
                continue
            hours = (Decimal(seconds) / 3600).quantize(Decimal("0.1"))
            lines.append(CheckedLine(worker_id, card, days, min(hours, Decimal(744)), amount, ""))
        await _insert_lines(conn, sheet, 1, lines)
        await audit(
            conn,
            actor=actor,
            action="payroll.create",
            entity="payroll_sheet",
            entity_id=str(sheet.sheet_id),
            detail={"project_id": project_id, "month": f"{first:%Y-%m}", "lines": len(lines)},
        )
        await _sheet_fact(conn, sheet, "draft", None)
    return await sheet_detail(conn, sheet.sheet_id), skipped


async def payees(
    conn: AsyncConnection[Any], sheet: SheetView, id_numbers: list[str]
) -> dict[str, Payee]:
    """Who each ID number is, for this sheet: name, on the month's roster, card then."""
    first, last = month_bounds(date.fromisoformat(sheet.month + "-01"))
    cursor = await conn.execute(
        "SELECT w.worker_id, w.id_number, w.name, EXISTS (SELECT 1 FROM memberships m"
        "  WHERE m.worker_id = w.worker_id AND m.project_id = %s AND m.entry_date <= %s"
        "  AND (m.exit_date IS NULL OR m.exit_date >= %s))"
        " FROM workers w WHERE w.id_number = ANY(%s)",
        (sheet.project_id, last, first, id_numbers),
    )
    found: dict[str, Payee] = {}
    for worker_id, id_number, name, on_roster in await cursor.fetchall():
        card = await _card_at(conn, int(worker_id), sheet.created_at)
        found[str(id_number)] = Payee(int(worker_id), str(name), bool(on_roster), card)
    return found


async def replace_table(
    conn: AsyncConnection[Any],
    sheet_id: int,
    lines: list[TableLine],
    *,
    malformed: list[FieldProblem],
    actor: str,
) -> SheetDetail:
    """Step (a): the wage table, as uploaded or edited; a new revision of the lines. The
    ``malformed`` lines' problems are reported with the others' (every bad line at once)."""
    async with conn.transaction():
        sheet = await _lock(conn, sheet_id, "draft", "table")
        if sheet.kind == "supplementary":
            raise ConflictError("a supplementary sheet pays the failed lines as they were")
        known = await payees(conn, sheet, [line.id_number for line in lines])
        checked = check_lines(lines, known, malformed=malformed)
        revision = sheet.revision + 1
        superseded = await conn.execute(
            "UPDATE payroll_lines SET current = false WHERE sheet_id = %s AND current"
            " RETURNING line_id",
            (sheet_id,),
        )
        for (old_line,) in await superseded.fetchall():
            await _line_fact(conn, "line", sheet, int(old_line))
        await conn.execute(
            "UPDATE payroll_sheets SET revision = %s WHERE sheet_id = %s", (revision, sheet_id)
        )
        await _insert_lines(conn, sheet, revision, checked)
        await _advance(conn, sheet, "table", actor, revision=revision)
    return await sheet_detail(conn, sheet_id)


async def confirm_table(conn: AsyncConnection[Any], sheet_id: int, *, actor: str) -> SheetDetail:
    """Step (a) with the pre-filled table as it is."""
    async with conn.transaction():
        sheet = await _lock(conn, sheet_id, "draft")
        if sheet.lines == 0:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "lines", "the table has no lines: upload one", "工资表为空，请上传工资表"
                    )
                ]
            )
        await _advance(conn, sheet, "table", actor)
    return await sheet_detail(conn, sheet_id)


async def sign_with_scan(
    conn: AsyncConnection[Any], sheet_id: int, sha256: str, content_type: str, *, actor: str
) -> SheetDetail:
    """Step (b): the sheet the workers signed, scanned (stored by its sha256)."""
    async with conn.transaction():
        sheet = await _lock(conn, sheet_id, "table")
        await _advance(
            conn,
            sheet,
            "signed",
            actor,
            signed_by="scan",
            signed_file_sha256=sha256,
            signed_file_type=content_type,
        )
    return await sheet_detail(conn, sheet_id)


async def sign_by_workers(conn: AsyncConnection[Any], sheet_id: int, *, actor: str) -> SheetDetail:
    """Step (b), the other way: every worker confirmed their own line in their account."""
    async with conn.transaction():
        sheet = await _lock(conn, sheet_id, "table")
        cursor = await conn.execute(
            "SELECT count(*) FROM payroll_lines WHERE sheet_id = %s AND current"
            " AND worker_confirmed_at IS NULL",
            (sheet_id,),
        )
        waiting = await cursor.fetchone()
        if waiting and int(waiting[0]):
            raise ConflictError(
                f"{waiting[0]} workers have not confirmed their line yet",
                message_zh=f"还有{waiting[0]}名工人未确认工资条",
            )
        await _advance(conn, sheet, "signed", actor, signed_by="workers")
    return await sheet_detail(conn, sheet_id)


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
        sheet = await _lock(conn, sheet_id, "signed", "sent")
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
            await _advance(
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
        sheet = await _lock(conn, sheet_id, "sent", "reconciled", "partly_failed")
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
            await _line_fact(conn, fact, sheet, line.line_id)
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
            await _advance(conn, sheet, final, actor, settled_at=datetime.now(UTC))
    return ReturnOutcome(await sheet_detail(conn, sheet_id), False, list(settled))


async def create_supplementary(
    conn: AsyncConnection[Any], sheet_id: int, *, actor: str
) -> SheetDetail:
    """A supplementary sheet (补发) paying again every failed line not yet retried, to the
    card each worker has bound now. It starts with its table done."""
    async with conn.transaction():
        parent = await _lock(conn, sheet_id, "partly_failed")
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
            card = await _card_at(conn, int(worker_id), sheet.created_at)
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
        await _insert_lines(conn, sheet, 1, lines, retry_of)
        await _sheet_fact(conn, sheet, "draft", None, parent_sheet_id=parent.sheet_id)
        await _advance(conn, sheet, "table", actor)
    return await sheet_detail(conn, sheet.sheet_id)
