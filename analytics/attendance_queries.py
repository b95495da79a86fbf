"""The attendance questions the provincial platforms answer, as ClickHouse queries.

Each function takes an :class:`~analytics.executor.Executor` and plain values, and returns
plain rows or dataclasses; scope checks happen before (in the API). The SQL keeps to the
dialect both ClickHouse 18.16 and a current ClickHouse accept (ARCHITECTURE.md §Stores).
Days are Beijing days; datetimes come back as naive UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from analytics.executor import Executor
from streams.local_time import BEIJING

Period = Literal["day", "week", "month"]
Grouping = Literal["none", "team", "trade"]
_PERIOD_SQL = {"day": "day", "week": "toMonday(day)", "month": "toStartOfMonth(day)"}
_GROUP_SQL = {"none": "''", "team": "team_id", "trade": "trade"}


@dataclass(frozen=True)
class CalendarDay:
    day: date
    project_id: str
    first_in: datetime | None
    last_out: datetime | None
    seconds_on_site: int
    sessions: int
    flags: list[str]


@dataclass(frozen=True)
class PassRecord:
    occurred_at: datetime
    direction: str
    method: str
    device_id: str
    project_id: str
    snapshot_ref: str
    score: float | None


@dataclass(frozen=True)
class PeriodFigures:
    period: date
    group: str
    workers: int
    person_days: int
    seconds_on_site: int


@dataclass(frozen=True)
class ProjectDay:
    project_id: str
    day: date
    passes: int
    workers: int
    unknown_faces: int
    mismatches: int


def beijing_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Naive UTC instants from the start of ``first`` to the end of ``last`` (Beijing)."""
    start = datetime.combine(first, time(), BEIJING).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), BEIJING).astimezone(UTC)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def worker_calendar(
    db: Executor, worker_id: str, projects: Sequence[str], first: date, last: date
) -> list[CalendarDay]:
    """考勤日历: the worker's days with attendance in the projects given."""
    if not projects:
        return []
    rows = db.rows(
        "SELECT day, project_id, first_in, last_out, seconds_on_site, sessions, flags"
        " FROM attendance_days FINAL"
        " WHERE worker_id = %(worker)s AND project_id IN %(projects)s"
        " AND day >= %(first)s AND day <= %(last)s"
        " ORDER BY day, project_id",
        {"worker": worker_id, "projects": tuple(projects), "first": first, "last": last},
    )
    return [CalendarDay(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), list(r[6])) for r in rows]


def worker_day_passes(
    db: Executor, worker_id: str, projects: Sequence[str], day: date
) -> list[PassRecord]:
    """考勤详情: every pass of the worker on one Beijing day, with its capture photo."""
    if not projects:
        return []
    start, end = beijing_day_bounds(day, day)
    rows = db.rows(
        "SELECT occurred_at, direction, method, device_id, project_id, snapshot_ref, score"
        " FROM gate_passes FINAL"
        " WHERE worker_id = %(worker)s AND project_id IN %(projects)s"
        " AND occurred_at >= %(start)s AND occurred_at < %(end)s"
        " ORDER BY occurred_at, event_id",
        {"worker": worker_id, "projects": tuple(projects), "start": start, "end": end},
    )
    return [
        # Float32 scores, rounded so every engine prints them alike.
        PassRecord(r[0], str(r[1]), str(r[2]), r[3], r[4], r[5], _rounded(r[6]))
        for r in rows
    ]


def is_own_snapshot(db: Executor, worker_id: str, project_id: str, ref: str) -> bool:
    """Whether the capture ``ref`` is of one of the worker's own passes (a worker may see
    their own capture photos, nobody else's)."""
    rows = db.rows(
        "SELECT 1 FROM gate_passes WHERE project_id = %(project)s AND snapshot_ref = %(ref)s"
        " AND worker_id = %(worker)s LIMIT 1",
        {"project": project_id, "ref": ref, "worker": worker_id},
    )
    return bool(rows)


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(float(score), 4)


def project_attendance(
    db: Executor,
    project_id: str,
    first: date,
    last: date,
    *,
    period: Period = "day",
    group: Grouping = "none",
) -> list[PeriodFigures]:
    """Workers present, person-days and time on site by day, week or month, per team or trade."""
    period_sql, group_sql = _PERIOD_SQL[period], _GROUP_SQL[group]
    rows = db.rows(
        f"SELECT {period_sql} AS period, {group_sql} AS grp, uniqExact(worker_id),"
        " count(), sum(seconds_on_site)"
        " FROM attendance_days FINAL"
        " WHERE project_id = %(project)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY period, grp ORDER BY period, grp",
        {"project": project_id, "first": first, "last": last},
    )
    return [PeriodFigures(r[0], str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def workers_seen(
    db: Executor, project_id: str, workers: Sequence[str], first: date, last: date
) -> set[str]:
    """Which of ``workers`` have at least one attendance day in the range (update rate)."""
    if not workers:
        return set()
    rows = db.rows(
        "SELECT DISTINCT worker_id FROM attendance_days FINAL"
        " WHERE project_id = %(project)s AND worker_id IN %(workers)s"
        " AND day >= %(first)s AND day <= %(last)s",
        {"project": project_id, "workers": tuple(workers), "first": first, "last": last},
    )
    return {row[0] for row in rows}


def last_days_seen_of(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> dict[str, dict[str, date]]:
    """Per project, each worker's last day with attendance in the range (one query for
    many projects: the alert evaluation)."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT project_id, worker_id, max(day) FROM attendance_days FINAL"
        " WHERE project_id IN %(projects)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY project_id, worker_id",
        {"projects": tuple(projects), "first": first, "last": last},
    )
    found: dict[str, dict[str, date]] = {}
    for project, worker, day in rows:
        found.setdefault(project, {})[worker] = day
    return found


def days_present(
    db: Executor, project_id: str, workers: Sequence[str], first: date, last: date
) -> dict[str, int]:
    """Days with attendance per worker (key-position presence)."""
    wanted = set(workers)
    found = days_present_of(db, [project_id], first, last).get(project_id, {})
    return {worker: days for worker, days in found.items() if worker in wanted}


def days_present_of(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> dict[str, dict[str, int]]:
    """Per project, each worker's days with attendance in the range."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT project_id, worker_id, uniqExact(day) FROM attendance_days FINAL"
        " WHERE project_id IN %(projects)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY project_id, worker_id",
        {"projects": tuple(projects), "first": first, "last": last},
    )
    found: dict[str, dict[str, int]] = {}
    for project, worker, days in rows:
        found.setdefault(project, {})[worker] = int(days)
    return found


def month_totals(
    db: Executor, project_id: str, first: date, last: date
) -> dict[str, tuple[int, int]]:
    """Per worker: days with attendance and seconds on site in [first, last] (a payroll
    month's pre-filled wage table)."""
    rows = db.rows(
        "SELECT worker_id, uniqExact(day), sum(seconds_on_site) FROM attendance_days FINAL"
        " WHERE project_id = %(project)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY worker_id",
        {"project": project_id, "first": first, "last": last},
    )
    return {str(row[0]): (int(row[1]), int(row[2])) for row in rows}


def working_days(db: Executor, project_id: str, first: date, last: date) -> int:
    """Days on which anybody attended the project (the denominator of presence rates)."""
    return working_days_of(db, [project_id], first, last).get(project_id, 0)


def working_days_of(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> dict[str, int]:
    """The same for many projects, by project (those with none are left out)."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT project_id, uniqExact(day) FROM attendance_days FINAL"
        " WHERE project_id IN %(projects)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY project_id",
        {"projects": tuple(projects), "first": first, "last": last},
    )
    return {row[0]: int(row[1]) for row in rows}


def project_days(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> list[ProjectDay]:
    """Passes, distinct workers, unknown faces and device-claim mismatches per project and
    day, from the materialized view (regulators' region rollups)."""
    if not projects:
        return []
    rows = db.rows(
        "SELECT project_id, day, uniqExactMerge(passes), uniqExactMerge(workers),"
        " uniqExactMerge(unknown_faces), uniqExactMerge(mismatches)"
        " FROM project_daily"
        " WHERE project_id IN %(projects)s AND day >= %(first)s AND day <= %(last)s"
        " GROUP BY project_id, day ORDER BY project_id, day",
        {"projects": tuple(projects), "first": first, "last": last},
    )
    return [ProjectDay(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def expired_partitions(db: Executor, table: str, keep_months: int, today: date) -> list[int]:
    """Monthly partitions (YYYYMM) of ``table`` older than ``keep_months`` before today."""
    month = today.year * 12 + today.month - 1 - keep_months
    oldest_kept = (month // 12) * 100 + month % 12 + 1
    rows = db.rows(
        "SELECT DISTINCT partition FROM system.parts"
        " WHERE database = currentDatabase() AND table = %(table)s AND active",
        {"table": table},
    )
    return sorted(int(row[0]) for row in rows if int(row[0]) < oldest_kept)


def drop_partitions(db: Executor, table: str, partitions: Sequence[int]) -> None:
    """Retention by partition (18.16 has no TTL)."""
    for partition in partitions:
        db.rows(f"ALTER TABLE {table} DROP PARTITION {int(partition)}")


#: A stored pass of a known worker as attendance reads it, a plain tuple (a warm-up reads a
#: million): event_id, project_id, worker_id, occurred_at in epoch seconds (UTC),
#: direction, method, device_id.
KnownPass = tuple[str, str, str, int, str, str, str]


def projects_with_known_passes(db: Executor, since: datetime) -> list[str]:
    """The projects with passes of known workers from ``since``."""
    rows = db.rows(
        "SELECT DISTINCT project_id FROM gate_passes"
        " WHERE worker_id IS NOT NULL AND occurred_at >= %(since)s",
        {"since": _naive_utc(since)},
    )
    return sorted(str(row[0]) for row in rows)


def known_passes(
    db: Executor,
    since: datetime,
    until: datetime | None = None,
    *,
    project_id: str | None = None,
    worker_id: str | None = None,
    project_ids: Sequence[str] | None = None,
) -> list[KnownPass]:
    """Passes of known workers from ``since`` (attendance warm-up and late history), of
    one project, or of some."""
    conditions = ["worker_id IS NOT NULL", "occurred_at >= %(since)s"]
    params: dict[str, Any] = {"since": _naive_utc(since)}
    if until is not None:
        conditions.append("occurred_at < %(until)s")
        params["until"] = _naive_utc(until)
    if project_id is not None:
        conditions.append("project_id = %(project)s")
        params["project"] = project_id
    if worker_id is not None:
        conditions.append("worker_id = %(worker)s")
        params["worker"] = worker_id
    if project_ids is not None:
        if not project_ids:
            return []
        conditions.append("project_id IN %(projects)s")
        params["projects"] = tuple(project_ids)
    # No FINAL: a replayed pass comes back twice and the attendance book keeps one per
    # event_id. The time as epoch seconds: decoding DateTime values costs more than the
    # rest of the row.
    rows = db.rows(
        "SELECT event_id, project_id, assumeNotNull(worker_id), toUInt32(occurred_at),"
        " direction, method, device_id FROM gate_passes WHERE " + " AND ".join(conditions),
        params,
    )
    return rows


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
