"""What a worker sees of their pay (工资查询), their confirmations, and their disputes
(工资异议): the only writer of ``pay_disputes`` and of a line's ``worker_confirmed_at``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.stores.audit import audit
from api.stores.outbox import record_payroll_fact
from api.stores.rows import reading
from infra.errors import ConflictError, NotFoundError

ARRIVAL_NOTE_ZH = "工资的发放结果以银行实际到账为准，请及时核对银行账户资金信息。"


class PayLine(BaseModel):
    line_id: int
    sheet_id: int
    month: str
    project_id: str
    project_name: str
    enterprise_name: str
    amount: Decimal
    days_worked: int
    status: str
    sheet_state: str
    card_last4: str
    paid_on: date | None
    failure_reason: str | None
    worker_confirmed_at: datetime | None
    dispute_status: str | None


class DisputeView(BaseModel):
    dispute_id: int
    line_id: int
    worker_id: int
    project_id: str
    month: str
    amount: Decimal
    reason: str
    status: str
    answer: str | None
    answered_by: str | None
    opened_at: datetime
    answered_at: datetime | None


async def pay_of_worker(conn: AsyncConnection[Any], worker_id: int) -> list[PayLine]:
    """Each month's pay per project and enterprise, from sheets past their draft."""
    cursor = await reading(conn, PayLine).execute(
        "SELECT l.line_id, s.sheet_id, to_char(s.month, 'YYYY-MM') AS month, s.project_id,"
        " p.name AS project_name, e.name AS enterprise_name, l.amount, l.days_worked, l.status,"
        " s.state AS sheet_state, c.last4 AS card_last4, l.paid_on, l.failure_reason,"
        " l.worker_confirmed_at,"
        " (SELECT d.status FROM pay_disputes d WHERE d.line_id = l.line_id"
        "   ORDER BY d.dispute_id DESC LIMIT 1) AS dispute_status"
        " FROM payroll_lines l JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
        " JOIN projects p ON p.project_id = s.project_id"
        " JOIN enterprises e ON e.enterprise_id = s.enterprise_id"
        " JOIN bank_cards c ON c.card_id = l.card_id"
        " WHERE l.worker_id = %s AND l.current AND s.state <> 'draft'"
        " ORDER BY s.month DESC, l.line_id DESC",
        (worker_id,),
    )
    return await cursor.fetchall()


async def _own_line(conn: AsyncConnection[Any], worker_id: int, line_id: int) -> tuple[str, str]:
    cursor = await conn.execute(
        "SELECT s.state, l.status FROM payroll_lines l"
        " JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
        " WHERE l.line_id = %s AND l.worker_id = %s AND l.current AND s.state <> 'draft'",
        (line_id, worker_id),
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"pay line {line_id} does not exist")
    return str(row[0]), str(row[1])


async def confirm_line(conn: AsyncConnection[Any], worker_id: int, line_id: int) -> None:
    """The worker confirms their line (the amount before payment, or its arrival after)."""
    await _own_line(conn, worker_id, line_id)
    await conn.execute(
        "UPDATE payroll_lines SET worker_confirmed_at = coalesce(worker_confirmed_at, now())"
        " WHERE line_id = %s",
        (line_id,),
    )
    await audit(
        conn, actor=f"worker:{worker_id}", action="payroll.line_confirm",
        entity="payroll_line", entity_id=str(line_id),
    )  # fmt: skip


_DISPUTE_SELECT = (
    "SELECT d.dispute_id, d.line_id, d.worker_id, s.project_id,"
    " to_char(s.month, 'YYYY-MM') AS month, l.amount, d.reason, d.status, d.answer,"
    " d.answered_by, d.opened_at, d.answered_at FROM pay_disputes d"
    " JOIN payroll_lines l ON l.line_id = d.line_id"
    " JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
)


async def _fact(conn: AsyncConnection[Any], dispute: DisputeView) -> None:
    await record_payroll_fact(
        conn,
        "dispute",
        f"dispute:{dispute.dispute_id}",
        {
            "dispute_id": dispute.dispute_id,
            "line_id": dispute.line_id,
            "worker_id": dispute.worker_id,
            "project_id": dispute.project_id,
            "month": dispute.month,
            "status": dispute.status,
        },
    )


async def get_dispute(conn: AsyncConnection[Any], dispute_id: int) -> DisputeView:
    cursor = await reading(conn, DisputeView).execute(
        f"{_DISPUTE_SELECT} WHERE d.dispute_id = %s", (dispute_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"dispute {dispute_id} does not exist")
    return row


async def open_dispute(
    conn: AsyncConnection[Any], worker_id: int, line_id: int, reason: str
) -> DisputeView:
    async with conn.transaction():
        await _own_line(conn, worker_id, line_id)
        cursor = await conn.execute(
            "INSERT INTO pay_disputes (line_id, worker_id, reason) SELECT %s, %s, %s"
            " WHERE NOT EXISTS (SELECT 1 FROM pay_disputes WHERE line_id = %s AND status = 'open')"
            " RETURNING dispute_id",
            (line_id, worker_id, reason, line_id),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(
                "this line has an open dispute already", message_zh="该工资条已有未处理的异议"
            )
        dispute = await get_dispute(conn, int(row[0]))
        await audit(
            conn, actor=f"worker:{worker_id}", action="payroll.dispute",
            entity="payroll_line", entity_id=str(line_id),
        )  # fmt: skip
        await _fact(conn, dispute)
    return dispute


async def answer_dispute(
    conn: AsyncConnection[Any], dispute_id: int, answer: str, *, actor: str
) -> DisputeView:
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE pay_disputes SET status = 'answered', answer = %s, answered_by = %s,"
            " answered_at = now() WHERE dispute_id = %s AND status = 'open' RETURNING dispute_id",
            (answer, actor, dispute_id),
        )
        if await cursor.fetchone() is None:
            await get_dispute(conn, dispute_id)  # 404 when it does not exist
            raise ConflictError("the dispute is answered already", message_zh="该异议已答复")
        dispute = await get_dispute(conn, dispute_id)
        await audit(
            conn, actor=actor, action="payroll.dispute_answer",
            entity="pay_dispute", entity_id=str(dispute_id),
        )  # fmt: skip
        await _fact(conn, dispute)
    return dispute


async def disputes_of_projects(
    conn: AsyncConnection[Any], project_ids: list[str], *, status: str | None
) -> list[DisputeView]:
    sql = f"{_DISPUTE_SELECT} WHERE s.project_id = ANY(%s)"
    params: list[Any] = [project_ids]
    if status is not None:
        sql += " AND d.status = %s"
        params.append(status)
    cursor = await reading(conn, DisputeView).execute(
        sql + " ORDER BY d.opened_at DESC LIMIT 500", params
    )
    return await cursor.fetchall()
