"""Attendance answers for the API: query parameters, roster facts from PostgreSQL, and
the rates (pure arithmetic) on top of the ClickHouse figures.

Definitions (documented in the README):

- attendance rate (出勤率) of a day: workers with attendance / workers on the roster that day;
- attendance update rate (考勤更新率) over N days: roster workers with at least one attendance
  day in the last N days / roster workers today;
- key-position presence rate (关键岗位到岗率) of a month: the days a key-position holder
  attended / the project's working days (days anybody attended) in that month.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from psycopg import AsyncConnection

from api.auth.access import scope_filter
from api.auth.principal import Principal
from infra.errors import FieldProblem, InvalidInputError

MAX_RANGE_DAYS = 366
# ClickHouse's Date holds 1970-2105 (2149 on current versions); attendance is recent.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def _problem(field: str, reason: str, zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, reason, zh)])


def parse_month(value: str | None, *, default: date) -> tuple[date, date]:
    """``2026-11`` → (2026-11-01, 2026-11-30)."""
    if value is None:
        year, month = default.year, default.month
    else:
        try:
            year, month = (int(part) for part in value.split("-"))
            date(year, month, 1)
        except ValueError:
            raise _problem("month", "must be YYYY-MM", "月份格式应为 YYYY-MM") from None
    if not EARLIEST.year <= year <= LATEST.year:
        raise _problem("month", f"must be within {EARLIEST.year}-{LATEST.year}", "月份超出范围")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_day(value: str | None, field: str, *, default: date) -> date:
    if value is None:
        return default
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _problem(field, "must be a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD") from None
    if not EARLIEST <= parsed <= LATEST:
        raise _problem(field, f"must be within {EARLIEST}..{LATEST}", "日期超出范围")
    return parsed


def parse_range(start: str | None, end: str | None, *, today: date) -> tuple[date, date]:
    first = parse_day(start, "from", default=today.replace(day=1))
    last = parse_day(end, "to", default=today)
    if last < first:
        raise _problem("to", "must not be before 'from'", "结束日期不能早于开始日期")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise _problem("to", f"at most {MAX_RANGE_DAYS} days per query", "查询范围过大")
    return first, last


def parse_choice(value: str | None, field: str, choices: tuple[str, ...]) -> str:
    if value is None:
        return choices[0]
    if value not in choices:
        raise _problem(field, f"must be one of {', '.join(choices)}", "取值不在允许范围内")
    return value


def parse_days(value: str | None, *, default: int = 30) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_RANGE_DAYS:
        raise _problem("days", f"must be 1 to {MAX_RANGE_DAYS}", "天数应为1至366")
    return int(value)


def rate(part: int, whole: int) -> float | None:
    """A share rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


async def roster_by_day(
    conn: AsyncConnection[Any], project_id: str, first: date, last: date
) -> dict[date, int]:
    """Workers registered on the project each day (entered on or before, not yet exited)."""
    cursor = await conn.execute(
        "SELECT d::date, count(m.worker_id) FROM generate_series(%s::date, %s::date,"
        " interval '1 day') AS d LEFT JOIN memberships m ON m.project_id = %s"
        " AND m.entry_date <= d::date AND (m.exit_date IS NULL OR m.exit_date >= d::date)"
        " GROUP BY d ORDER BY d",
        (first, last, project_id),
    )
    return {row[0]: int(row[1]) for row in await cursor.fetchall()}


async def active_roster(conn: AsyncConnection[Any], project_id: str) -> list[str]:
    cursor = await conn.execute(
        "SELECT worker_id::text FROM memberships WHERE project_id = %s AND status = 'active'",
        (project_id,),
    )
    return [row[0] for row in await cursor.fetchall()]


async def roster_sizes(conn: AsyncConnection[Any], projects: list[str]) -> dict[str, int]:
    """Active roster size of each project (0 when nobody is registered)."""
    cursor = await conn.execute(
        "SELECT project_id, count(*) FROM memberships WHERE status = 'active'"
        " AND project_id = ANY(%s) GROUP BY project_id",
        (projects,),
    )
    sizes = {row[0]: int(row[1]) for row in await cursor.fetchall()}
    return {project: sizes.get(project, 0) for project in projects}


async def projects_of_worker(
    conn: AsyncConnection[Any], who: Principal, worker_id: int
) -> list[str]:
    """The worker's projects that the caller may see (all of them for the worker)."""
    condition, params = scope_filter(who)
    cursor = await conn.execute(
        "SELECT DISTINCT m.project_id FROM memberships m JOIN projects p"
        f" ON p.project_id = m.project_id WHERE m.worker_id = %s AND {condition}"
        " ORDER BY m.project_id",
        [worker_id, *params],
    )
    return [row[0] for row in await cursor.fetchall()]


async def visible_projects(conn: AsyncConnection[Any], who: Principal) -> list[tuple[str, str]]:
    """(project_id, name) of every project in the caller's scope (all of them: the
    overview's totals cover the whole scope; a region holds thousands, not millions)."""
    condition, params = scope_filter(who)
    cursor = await conn.execute(
        f"SELECT p.project_id, p.name FROM projects p WHERE {condition} ORDER BY p.project_id",
        params,
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]
