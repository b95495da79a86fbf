"""Payroll sheets (工资单) and their lines: the only writer of ``payroll_sheets``,
``payroll_lines`` and ``bank_returns``.

A sheet moves only forward: draft → table → signed → sent → reconciled or partly_failed.
Each step is audited and published as a payroll fact. Nothing is deleted: a new table is a
new revision of lines; a failed line is paid again by a line of a supplementary sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from analytics.wage_queries import month_end
from api.identity import mask_id_number
from api.payroll.wage_table import CheckedLine, Payee, TableLine, check_lines
from api.stores.audit import audit
from api.stores.outbox import record_payroll_fact
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from infra.metrics import EVENTS

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
    return first, month_end(first)


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


async def lock_sheet(conn: AsyncConnection[Any], sheet_id: int, *allowed: str) -> SheetView:
    """The sheet, locked for this transaction; 409 unless it is in one of ``allowed``."""
    await conn.execute("SELECT 1 FROM payroll_sheets WHERE sheet_id = %s FOR UPDATE", (sheet_id,))
    sheet = await get_sheet(conn, sheet_id)
    if sheet.state not in allowed:
        raise ConflictError(
            f"sheet {sheet_id} is {sheet.state}: this step needs {' or '.join(allowed)}",
            message_zh=f"工资单当前状态为“{_STATE_ZH[sheet.state]}”，不能执行此步骤",
        )
    return sheet


async def sheet_fact(
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


async def line_fact(conn: AsyncConnection[Any], fact: str, sheet: SheetView, line_id: int) -> None:
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


async def advance_sheet(
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
    await sheet_fact(conn, sheet, state, sheet.state)
    EVENTS.labels("api", f"payroll_{state}").inc()


async def card_at(conn: AsyncConnection[Any], worker_id: int, moment: datetime) -> int | None:
    """The card the worker had bound at ``moment`` (a sheet pays the card of its creation)."""
    cursor = await conn.execute(
        "SELECT card_id FROM bank_cards WHERE worker_id = %s AND bound_at <= %s"
        " AND (unbound_at IS NULL OR unbound_at > %s)",
        (worker_id, moment, moment),
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def insert_lines(
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
        await line_fact(conn, "line", sheet, int(row[0]))


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
            card = await card_at(conn, worker_id, sheet.created_at)
            if card is None:
                skipped.append(Prefilled(worker_id, "no bank card bound"))
                continue
            hours = (Decimal(seconds) / 3600).quantize(Decimal("0.1"))
            lines.append(CheckedLine(worker_id, card, days, min(hours, Decimal(744)), amount, ""))
        await insert_lines(conn, sheet, 1, lines)
        await audit(
            conn,
            actor=actor,
            action="payroll.create",
            entity="payroll_sheet",
            entity_id=str(sheet.sheet_id),
            detail={"project_id": project_id, "month": f"{first:%Y-%m}", "lines": len(lines)},
        )
        await sheet_fact(conn, sheet, "draft", None)
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
        card = await card_at(conn, int(worker_id), sheet.created_at)
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
        sheet = await lock_sheet(conn, sheet_id, "draft", "table")
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
            await line_fact(conn, "line", sheet, int(old_line))
        await conn.execute(
            "UPDATE payroll_sheets SET revision = %s WHERE sheet_id = %s", (revision, sheet_id)
        )
        await insert_lines(conn, sheet, revision, checked)
        await advance_sheet(conn, sheet, "table", actor, revision=revision)
    return await sheet_detail(conn, sheet_id)


async def confirm_table(conn: AsyncConnection[Any], sheet_id: int, *, actor: str) -> SheetDetail:
    """Step (a) with the pre-filled table as it is."""
    async with conn.transaction():
        sheet = await lock_sheet(conn, sheet_id, "draft")
        if sheet.lines == 0:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "lines", "the table has no lines: upload one", "工资表为空，请上传工资表"
                    )
                ]
            )
        await advance_sheet(conn, sheet, "table", actor)
    return await sheet_detail(conn, sheet_id)


async def sign_with_scan(
    conn: AsyncConnection[Any], sheet_id: int, sha256: str, content_type: str, *, actor: str
) -> SheetDetail:
    """Step (b): the sheet the workers signed, scanned (stored by its sha256)."""
    async with conn.transaction():
        sheet = await lock_sheet(conn, sheet_id, "table")
        await advance_sheet(
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
        sheet = await lock_sheet(conn, sheet_id, "table")
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
        await advance_sheet(conn, sheet, "signed", actor, signed_by="workers")
    return await sheet_detail(conn, sheet_id)
