"""Wage monitoring figures (工资支付监控): per project and for a regulator's region, by
month; and a worker's own attendance against their pay."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from alerts.rules import WAGE_RULES
from alerts.wage_rules import previous_month
from analytics import wage_queries as wq
from api.auth.access import visible_project_ids
from api.auth.guards import require_visible_project
from api.auth.principal import ScopeKind
from api.dependencies import Caller, Services
from api.stores.alert_views import open_alert_counts
from api.stores.attendance import projects_of_worker
from api.stores.payroll_sheets import sheet_states
from infra.errors import ForbiddenError
from streams.local_time import BEIJING

router = APIRouter(tags=["wage monitoring"])

MonthQuery = Annotated[
    str | None,
    Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (default: last month)"),
]


class ProjectWages(BaseModel):
    project_id: str
    month: str
    attended_workers: int
    attended_days: int
    paid_workers: int
    paid_total: float = Field(description="CNY")
    per_head: float | None
    paid_ratio: float | None = Field(description="paid workers / attended workers")
    unpaid_attended: int
    unrecorded_attended: int
    failed_lines: int
    sheet_states: list[str]
    open_wage_alerts: int


class WagesOverview(BaseModel):
    month: str
    projects: list[ProjectWages]
    attended_workers: int
    paid_workers: int
    paid_total: float
    paid_ratio: float | None


class GroupMonth(BaseModel):
    group: str = Field(description="team id, enterprise id or worker id; empty: not known")
    attended_workers: int
    attended_days: int
    paid_workers: int
    paid_total: float = Field(description="CNY")
    per_head: float | None
    paid_ratio: float | None
    unpaid_attended: int


class ProjectGroups(BaseModel):
    project_id: str
    month: str
    by: str
    groups: list[GroupMonth]


class WorkerMonth(BaseModel):
    month: str
    project_id: str
    attended_days: int
    paid: float
    wage_lines: int


class MyWages(BaseModel):
    worker_id: int
    months: list[WorkerMonth]


def _month(value: str | None) -> date:
    if value:
        return date.fromisoformat(value + "-01")
    today = datetime.now(BEIJING).date()
    return previous_month(today)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _figures(app: Services, projects: list[str], month: date) -> list[ProjectWages]:
    figures = await app.clickhouse.run(wq.month_counts, projects, month)
    async with app.pool.connection() as conn:
        states = await sheet_states(conn, projects, month)
        open_alerts = await open_alert_counts(conn, projects, sorted(r.value for r in WAGE_RULES))
    items = []
    for project in projects:
        wages = figures[project]
        per_head = wages.paid_total_fen // wages.paid_workers if wages.paid_workers else None
        items.append(
            ProjectWages(
                project_id=project,
                month=f"{month:%Y-%m}",
                attended_workers=wages.attended_workers,
                attended_days=wages.attended_days,
                paid_workers=wages.paid_workers,
                paid_total=wages.paid_total_fen / 100,
                per_head=None if per_head is None else per_head / 100,
                paid_ratio=_ratio(wages.paid_workers, wages.attended_workers),
                unpaid_attended=wages.unpaid_attended,
                unrecorded_attended=wages.unrecorded_attended,
                failed_lines=wages.failed_lines,
                sheet_states=states.get(project, []),
                open_wage_alerts=open_alerts.get(project, 0),
            )
        )
    return items


@router.get("/v1/wages", response_model=WagesOverview)
async def wages_overview(
    who: Caller,
    app: Services,
    month: MonthQuery = None,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
) -> WagesOverview:
    """Every visible project's month: attended against paid, unpaid and unrecorded workers,
    failed payments, the sheets' states and the open wage warnings."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers see their own wages at GET /v1/me/wages")
    chosen = _month(month)
    async with app.pool.connection() as conn:
        projects = await visible_project_ids(conn, who)
    if project_id is not None:
        projects = [p for p in projects if p == project_id]
    items = await _figures(app, projects, chosen)
    attended = sum(item.attended_workers for item in items)
    paid = sum(item.paid_workers for item in items)
    return WagesOverview(
        month=f"{chosen:%Y-%m}",
        projects=items,
        attended_workers=attended,
        paid_workers=paid,
        paid_total=round(sum(item.paid_total for item in items), 2),
        paid_ratio=_ratio(paid, attended),
    )


@router.get("/v1/wages/groups", response_model=ProjectGroups)
async def wages_by_group(
    who: Caller,
    app: Services,
    project_id: Annotated[str, Query(min_length=1, max_length=64)],
    by: Annotated[Literal["team", "enterprise", "worker"], Query()] = "team",
    month: MonthQuery = None,
) -> ProjectGroups:
    """One project's month split by team (班组), paying enterprise or worker: attended
    against paid. A worker's team is the one their attendance records; their enterprise
    the one whose wage sheet holds their line."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers see their own wages at GET /v1/me/wages")
    chosen = _month(month)
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
    figures = (await app.clickhouse.run(wq.month_wages, [project_id], chosen))[project_id]
    if by == "team":
        group_of = await app.clickhouse.run(wq.teams_of_workers, project_id, chosen)
    elif by == "enterprise":
        group_of = await app.clickhouse.run(wq.enterprises_of_workers, project_id, chosen)
    else:
        group_of = {w: w for w in set(figures.attended) | set(figures.paid_fen)}
    groups = [
        GroupMonth(
            group=g.group,
            attended_workers=g.attended_workers,
            attended_days=g.attended_days,
            paid_workers=g.paid_workers,
            paid_total=g.paid_total_fen / 100,
            per_head=g.paid_total_fen / g.paid_workers / 100 if g.paid_workers else None,
            paid_ratio=_ratio(g.paid_workers, g.attended_workers),
            unpaid_attended=g.unpaid_attended,
        )
        for g in wq.group_figures(figures, group_of)
    ]
    return ProjectGroups(project_id=project_id, month=f"{chosen:%Y-%m}", by=by, groups=groups)


@router.get("/v1/me/wages", response_model=MyWages)
async def my_wages(
    who: Caller,
    app: Services,
    months: Annotated[int, Query(ge=1, le=24, description="how many months back")] = 6,
) -> MyWages:
    """考勤与工资: the worker's days on site against what was paid, month by month."""
    if who.scope_kind is not ScopeKind.WORKER:
        raise ForbiddenError("this is a worker's own view")
    today = datetime.now(BEIJING).date()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = previous_month(first)
    async with app.pool.connection() as conn:
        projects = await projects_of_worker(conn, who, int(who.scope_id))
    rows = await app.clickhouse.run(wq.worker_months, who.scope_id, projects, first, today)
    return MyWages(
        worker_id=int(who.scope_id),
        months=[
            WorkerMonth(
                month=f"{month:%Y-%m}",
                project_id=project,
                attended_days=days,
                paid=fen / 100,
                wage_lines=lines,
            )
            for month, project, days, fen, lines in rows
        ],
    )
