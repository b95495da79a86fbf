"""What the wage warnings read from PostgreSQL, the system of record for payroll (the
payroll stores of the API write these tables; alerts only reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import AsyncConnection


@dataclass(frozen=True)
class MonitoredProject:
    project_id: str
    region_code: str
    start_date: date | None
    has_wage_account: bool
    pay_day: int | None  # the project's own, else its region's


async def monitored_projects(conn: AsyncConnection[Any]) -> list[MonitoredProject]:
    """Running projects, and whether they have a wage account."""
    cursor = await conn.execute(
        "SELECT p.project_id, p.region_code, p.start_date,"
        " EXISTS (SELECT 1 FROM wage_accounts a WHERE a.project_id = p.project_id), p.pay_day"
        " FROM projects p WHERE p.status IN ('preparing', 'active', 'suspended')"
        " ORDER BY p.project_id"
    )
    return [
        MonitoredProject(str(p), str(r), s, bool(a), d) for p, r, s, a, d in await cursor.fetchall()
    ]


async def regular_sheet_states(
    conn: AsyncConnection[Any], projects: list[str], month: date
) -> dict[str, list[str]]:
    cursor = await conn.execute(
        "SELECT project_id, state FROM payroll_sheets WHERE kind = 'regular' AND month = %s"
        " AND project_id = ANY(%s)",
        (month.replace(day=1), projects),
    )
    found: dict[str, list[str]] = {}
    for project, state in await cursor.fetchall():
        found.setdefault(str(project), []).append(str(state))
    return found


async def failures_not_repaid(
    conn: AsyncConnection[Any], projects: list[str]
) -> dict[str, list[tuple[int, datetime]]]:
    """Failed payments that no later line has paid: (line, when the bank said so)."""
    cursor = await conn.execute(
        "SELECT s.project_id, l.line_id, l.settled_at FROM payroll_lines l"
        " JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
        " WHERE l.current AND l.status = 'failed' AND s.project_id = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM payroll_lines r"
        "  WHERE r.retry_of_line_id = l.line_id AND r.current AND r.status = 'paid')",
        (projects,),
    )
    found: dict[str, list[tuple[int, datetime]]] = {}
    for project, line_id, settled_at in await cursor.fetchall():
        found.setdefault(str(project), []).append((int(line_id), settled_at))
    return found


async def recent_exits(
    conn: AsyncConnection[Any], projects: list[str], since: date
) -> dict[str, list[tuple[str, date, bool, bool, bool]]]:
    """Workers who left these projects since ``since``: (worker, exit date, whether their
    exit month is paid, whether they confirmed a line of it, whether a dispute is open)."""
    lines = (
        "FROM payroll_lines l JOIN payroll_sheets s ON s.sheet_id = l.sheet_id"
        " WHERE l.current AND l.worker_id = m.worker_id AND s.project_id = m.project_id"
    )
    cursor = await conn.execute(
        "SELECT m.project_id, m.worker_id::text, m.exit_date,"
        f" EXISTS (SELECT 1 {lines} AND s.month = date_trunc('month', m.exit_date)::date"
        "  AND l.status = 'paid'),"
        f" EXISTS (SELECT 1 {lines} AND s.month = date_trunc('month', m.exit_date)::date"
        "  AND l.worker_confirmed_at IS NOT NULL),"
        " EXISTS (SELECT 1 FROM pay_disputes d JOIN payroll_lines l ON l.line_id = d.line_id"
        "  JOIN payroll_sheets s ON s.sheet_id = l.sheet_id WHERE d.worker_id = m.worker_id"
        "  AND s.project_id = m.project_id AND d.status = 'open')"
        " FROM memberships m WHERE m.status = 'exited' AND m.exit_date >= %s"
        " AND m.project_id = ANY(%s)",
        (since, projects),
    )
    found: dict[str, list[tuple[str, date, bool, bool, bool]]] = {}
    for project, worker, left, settled, confirmed, disputed in await cursor.fetchall():
        found.setdefault(str(project), []).append(
            (str(worker), left, bool(settled), bool(confirmed), bool(disputed))
        )
    return found
