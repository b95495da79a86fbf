"""The wage questions of the monitoring platforms, as ClickHouse queries (attendance_days
and wage_lines, read with FINAL), and the monthly figures they make (pure). Dialect: what
ClickHouse 18.16 and a current one both accept (ARCHITECTURE.md §Stores)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from analytics.executor import Executor


@dataclass(frozen=True)
class WageLine:
    project_id: str
    worker_id: str
    amount_fen: int
    status: str  # pending, paid, failed
    paid_on: date | None


@dataclass(frozen=True)
class MonthWages:
    """One project's month: who attended, who has a wage record, who was paid."""

    project_id: str
    month: date
    attended: dict[str, int] = field(default_factory=dict)  # worker -> days
    paid_fen: dict[str, int] = field(default_factory=dict)  # worker -> paid amount
    recorded: frozenset[str] = frozenset()  # workers with any wage line for the month
    failed_lines: int = 0

    @property
    def attended_workers(self) -> int:
        return len(self.attended)

    @property
    def paid_workers(self) -> int:
        return len(self.paid_fen)

    @property
    def paid_total_fen(self) -> int:
        return sum(self.paid_fen.values())

    @property
    def per_head_fen(self) -> int | None:
        return self.paid_total_fen // self.paid_workers if self.paid_workers else None

    @property
    def unpaid_attended(self) -> list[str]:
        return sorted(set(self.attended) - set(self.paid_fen))

    @property
    def unrecorded_attended(self) -> list[str]:
        return sorted(set(self.attended) - self.recorded)


def month_end(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def attended_days_by_month(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> dict[date, dict[str, dict[str, int]]]:
    """Per month, per project, each worker's days with attendance in [first, last]."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT toStartOfMonth(day) AS month, project_id, worker_id, uniqExact(day)"
        " FROM attendance_days FINAL WHERE project_id IN %(projects)s"
        " AND day >= %(first)s AND day <= %(last)s GROUP BY month, project_id, worker_id",
        {"projects": tuple(projects), "first": first, "last": last},
    )
    found: dict[date, dict[str, dict[str, int]]] = {}
    for month, project, worker, days in rows:
        found.setdefault(month, {}).setdefault(str(project), {})[str(worker)] = int(days)
    return found


def month_attended_days(
    db: Executor, projects: Sequence[str], month: date
) -> dict[str, dict[str, int]]:
    """Per project, each worker's days with attendance in ``month``."""
    first = month.replace(day=1)
    return attended_days_by_month(db, projects, first, month_end(first)).get(first, {})


def wage_lines(
    db: Executor, projects: Sequence[str], month: date, last_month: date | None = None
) -> dict[date, list[WageLine]]:
    """Per month from ``month`` to ``last_month`` (or just ``month``), the current lines of
    every sheet (regular and supplementary)."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT month, project_id, worker_id, amount_fen, status, paid_on FROM wage_lines"
        " FINAL WHERE project_id IN %(projects)s AND month >= %(first)s AND month <= %(last)s"
        " AND current = 1",
        {
            "projects": tuple(projects),
            "first": month.replace(day=1),
            "last": (last_month or month).replace(day=1),
        },
    )
    found: dict[date, list[WageLine]] = {}
    for m, p, w, a, status, paid_on in rows:
        found.setdefault(m, []).append(WageLine(str(p), str(w), int(a), str(status), paid_on))
    return found


def month_wages(
    db: Executor, projects: Sequence[str], month: date, *, paid_by: date | None = None
) -> dict[str, MonthWages]:
    """Each project's month; with ``paid_by``, only payments that reached the bank by then
    count as paid."""
    first = month.replace(day=1)
    attended = month_attended_days(db, projects, first)
    lines = wage_lines(db, projects, first).get(first, [])
    return month_figures(projects, first, attended, lines, paid_by=paid_by)


def months_wages(
    db: Executor, projects: Sequence[str], first: date, last: date
) -> dict[date, dict[str, MonthWages]]:
    """Each project's months from ``first`` to ``last`` (two queries, whatever the span)."""
    first, last = first.replace(day=1), last.replace(day=1)
    attended = attended_days_by_month(db, projects, first, month_end(last))
    lines = wage_lines(db, projects, first, last)
    found = {}
    month = first
    while month <= last:
        found[month] = month_figures(projects, month, attended.get(month, {}), lines.get(month, []))
        month = month_end(month) + timedelta(days=1)
    return found


def month_figures(
    projects: Sequence[str],
    month: date,
    attended: dict[str, dict[str, int]],
    lines: Sequence[WageLine],
    *,
    paid_by: date | None = None,
) -> dict[str, MonthWages]:
    """The figures from attendance and wage lines (pure)."""
    paid: dict[str, dict[str, int]] = {}
    recorded: dict[str, set[str]] = {}
    failed: dict[str, int] = {}
    for line in lines:
        recorded.setdefault(line.project_id, set()).add(line.worker_id)
        if line.status == "failed":
            failed[line.project_id] = failed.get(line.project_id, 0) + 1
        arrived = line.paid_on is not None and (paid_by is None or line.paid_on <= paid_by)
        if line.status == "paid" and arrived:
            per_worker = paid.setdefault(line.project_id, {})
            per_worker[line.worker_id] = per_worker.get(line.worker_id, 0) + line.amount_fen
    return {
        project: MonthWages(
            project,
            month,
            attended.get(project, {}),
            paid.get(project, {}),
            frozenset(recorded.get(project, set())),
            failed.get(project, 0),
        )
        for project in projects
    }


def worker_paid_totals(db: Executor, first: date, last: date) -> dict[str, dict[str, int]]:
    """Per worker, per project, the amount paid for months in [first, last] (fen)."""
    rows = db.rows(
        "SELECT worker_id, project_id, sum(amount_fen) FROM wage_lines FINAL"
        " WHERE current = 1 AND status = 'paid' AND month >= %(first)s AND month <= %(last)s"
        " GROUP BY worker_id, project_id",
        {"first": first.replace(day=1), "last": last},
    )
    found: dict[str, dict[str, int]] = {}
    for worker, project, total in rows:
        found.setdefault(str(worker), {})[str(project)] = int(total)
    return found


def worker_months(
    db: Executor, worker_id: str, projects: Sequence[str], first: date, last: date
) -> list[tuple[date, str, int, int, int]]:
    """A worker's months at ``projects`` (the tables are sorted by project first: naming
    them keeps this a range read): (month, project, attended days, paid fen, wage lines)."""
    if not projects:
        return []
    params = {"worker": worker_id, "projects": tuple(projects), "first": first, "last": last}
    attended = db.rows(
        "SELECT toStartOfMonth(day) AS month, project_id, uniqExact(day) FROM attendance_days"
        " FINAL WHERE project_id IN %(projects)s AND worker_id = %(worker)s"
        " AND day >= %(first)s AND day <= %(last)s GROUP BY month, project_id",
        params,
    )
    paid = db.rows(
        "SELECT month, project_id, sum(if(status = 'paid', amount_fen, 0)), count()"
        " FROM wage_lines FINAL WHERE project_id IN %(projects)s AND worker_id = %(worker)s"
        " AND current = 1 AND month >= %(first)s AND month <= %(last)s"
        " GROUP BY month, project_id",
        {**params, "first": first.replace(day=1)},
    )
    table: dict[tuple[date, str], list[int]] = {}
    for month, project, days in attended:
        table.setdefault((month, str(project)), [0, 0, 0])[0] = int(days)
    for month, project, fen, count in paid:
        row = table.setdefault((month, str(project)), [0, 0, 0])
        row[1], row[2] = int(fen), int(count)
    return [(m, p, v[0], v[1], v[2]) for (m, p), v in sorted(table.items())]


@dataclass(frozen=True)
class MonthCounts:
    """A project's month in numbers only (the region overview): counted in ClickHouse,
    so that many projects cost one pass over the month, not a worker list each."""

    project_id: str
    attended_workers: int = 0
    attended_days: int = 0
    paid_workers: int = 0
    paid_total_fen: int = 0
    unpaid_attended: int = 0
    unrecorded_attended: int = 0
    failed_lines: int = 0


def month_counts(db: Executor, projects: Sequence[str], month: date) -> dict[str, MonthCounts]:
    if not projects:
        return {}
    first = month.replace(day=1)
    params = {"projects": tuple(projects), "month": first, "first": first, "last": month_end(first)}
    lines = (
        "SELECT project_id, worker_id FROM wage_lines FINAL WHERE project_id IN %(projects)s"
        " AND month = %(month)s AND current = 1"
    )
    attended = db.rows(
        "SELECT project_id, uniqExact(worker_id), count(),"
        f" uniqExact(if((project_id, worker_id) IN ({lines} AND status = 'paid'),"
        " NULL, worker_id)),"
        f" uniqExact(if((project_id, worker_id) IN ({lines}), NULL, worker_id))"
        " FROM attendance_days FINAL WHERE project_id IN %(projects)s"
        " AND day >= %(first)s AND day <= %(last)s GROUP BY project_id",
        params,
    )
    paid = db.rows(
        "SELECT project_id, uniqExact(if(status = 'paid', worker_id, NULL)),"
        " sum(if(status = 'paid', amount_fen, 0)), sum(status = 'failed')"
        " FROM wage_lines FINAL WHERE project_id IN %(projects)s AND month = %(month)s"
        " AND current = 1 GROUP BY project_id",
        params,
    )
    found = {project: MonthCounts(project) for project in projects}
    for project, workers, days, unpaid, unrecorded in attended:
        found[str(project)] = MonthCounts(
            # 18.16 answers NULL for an aggregate over nothing but NULLs: none.
            str(project),
            int(workers),
            int(days),
            0,
            0,
            int(unpaid or 0),
            int(unrecorded or 0),
        )
    for project, workers, fen, failed in paid:
        counts = found[str(project)]
        found[str(project)] = MonthCounts(
            counts.project_id,
            counts.attended_workers,
            counts.attended_days,
            int(workers or 0),
            int(fen or 0),
            counts.unpaid_attended,
            counts.unrecorded_attended,
            int(failed or 0),
        )
    return found


@dataclass(frozen=True)
class GroupWages:
    """A month's figures for one team, enterprise or worker of a project."""

    group: str
    attended_workers: int
    attended_days: int
    paid_workers: int
    paid_total_fen: int
    unpaid_attended: int


def group_figures(month: MonthWages, group_of: dict[str, str]) -> list[GroupWages]:
    """The month split by ``group_of`` (worker -> group; "" for a worker it does not
    name), pure."""
    members: dict[str, set[str]] = {}
    for worker in set(month.attended) | set(month.paid_fen):
        members.setdefault(group_of.get(worker, ""), set()).add(worker)
    return [
        GroupWages(
            group,
            sum(1 for w in workers if w in month.attended),
            sum(month.attended.get(w, 0) for w in workers),
            sum(1 for w in workers if w in month.paid_fen),
            sum(month.paid_fen.get(w, 0) for w in workers),
            sum(1 for w in workers if w in month.attended and w not in month.paid_fen),
        )
        for group, workers in sorted(members.items())
    ]


def teams_of_workers(db: Executor, project_id: str, month: date) -> dict[str, str]:
    """Each worker's team in the month, as their attendance days record it."""
    first = month.replace(day=1)
    rows = db.rows(
        "SELECT worker_id, any(team_id) FROM attendance_days FINAL WHERE project_id = %(p)s"
        " AND day >= %(first)s AND day <= %(last)s GROUP BY worker_id",
        {"p": project_id, "first": first, "last": month_end(first)},
    )
    return {str(worker): str(team) for worker, team in rows}


def enterprises_of_workers(db: Executor, project_id: str, month: date) -> dict[str, str]:
    """The enterprise whose wage sheet holds each worker's line for the month."""
    rows = db.rows(
        "SELECT worker_id, any(enterprise_id) FROM wage_lines FINAL WHERE project_id = %(p)s"
        " AND month = %(month)s AND current = 1 GROUP BY worker_id",
        {"p": project_id, "month": month.replace(day=1)},
    )
    return {str(worker): str(enterprise) for worker, enterprise in rows}
