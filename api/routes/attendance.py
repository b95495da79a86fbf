"""Attendance endpoints: a worker's calendar and day detail, project figures and rates,
live presence, and the regulator's overview of a region. Scoped like every endpoint."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from alerts.registry_reads import key_position_holders
from analytics import attendance_queries as q
from api.auth.access import can_access_worker
from api.auth.guards import require_visible_project
from api.auth.principal import Principal
from api.dependencies import Caller, RowId, Services, TextId
from api.stores import attendance as a
from api.stores.alert_views import open_alert_counts
from infra.errors import NotFoundError
from streams.channels import presence_key
from streams.live_messages import PresenceMessage
from streams.local_time import BEIJING

router = APIRouter(tags=["attendance"])

Month = Annotated[str | None, Query(description="YYYY-MM (default: this month)")]


class CalendarDayView(BaseModel):
    day: date
    project_id: str
    first_in: str | None
    last_out: str | None
    seconds_on_site: int
    sessions: int
    flags: list[str]


class WorkerCalendar(BaseModel):
    worker_id: int
    month: str
    days_attended: int
    days: list[CalendarDayView]


class PassView(BaseModel):
    occurred_at: str | None
    direction: str
    method: str
    device_id: str
    project_id: str
    score: float | None
    snapshot_url: str | None


class WorkerDay(BaseModel):
    worker_id: int
    day: date
    passes: list[PassView]


class PeriodView(BaseModel):
    period: date
    group: str
    workers: int
    person_days: int
    seconds_on_site: int
    roster: int | None = None
    attendance_rate: float | None = None


class ProjectAttendance(BaseModel):
    project_id: str
    from_: date = Field(alias="from")
    to: date
    period: str
    group: str
    items: list[PeriodView]


class UpdateRate(BaseModel):
    project_id: str
    days: int
    from_: date = Field(alias="from")
    to: date
    roster: int
    updated: int
    rate: float | None


class HolderView(BaseModel):
    position: str
    worker_id: str
    name: str
    days_present: int
    rate: float | None


class KeyPresence(BaseModel):
    project_id: str
    month: str
    working_days: int
    items: list[HolderView]


class PresenceView(BaseModel):
    project_id: str
    headcount: int
    by_team: dict[str, int]
    by_trade: dict[str, int]
    workers: list[str] = []
    since: dict[str, str] = {}
    at: str = ""


class ProjectToday(BaseModel):
    project_id: str
    name: str
    roster: int
    headcount_now: int
    workers_today: int
    attendance_rate: float | None
    passes: int
    unknown_faces: int
    verification_mismatches: int
    open_alerts: int


class Totals(BaseModel):
    roster: int
    headcount_now: int
    workers_today: int
    passes: int
    unknown_faces: int
    open_alerts: int
    attendance_rate: float | None


class Overview(BaseModel):
    day: date
    projects: list[ProjectToday] = Field(description="this page of the projects in scope")
    totals: Totals = Field(description="over every project in scope, not only this page")
    total_projects: int
    offset: int
    limit: int
    headcounts: dict[str, int] = Field(
        description="every project's headcount now (the live page keeps its totals from it)"
    )


def _today() -> date:
    return datetime.now(BEIJING).date()


def _iso(moment: datetime | None) -> str | None:
    """ClickHouse returns naive UTC; the API answers with an explicit offset."""
    return None if moment is None else moment.isoformat() + "Z"


async def _worker_projects(app: Services, who: Principal, worker_id: int) -> list[str]:
    async with app.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
        return await a.projects_of_worker(conn, who, worker_id)


async def _visible(app: Services, who: Principal, project_id: str) -> None:
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)


@router.get("/v1/workers/{worker_id:int}/attendance", response_model=WorkerCalendar)
async def worker_calendar(
    worker_id: RowId, who: Caller, app: Services, month: Month = None
) -> WorkerCalendar:
    """考勤日历: one month of the worker's attendance days."""
    projects = await _worker_projects(app, who, worker_id)
    first, last = a.parse_month(month, default=_today())
    days = await app.clickhouse.run(q.worker_calendar, str(worker_id), projects, first, last)
    return WorkerCalendar(
        worker_id=worker_id,
        month=f"{first:%Y-%m}",
        days_attended=len({day.day for day in days}),
        days=[
            CalendarDayView(
                day=day.day,
                project_id=day.project_id,
                first_in=_iso(day.first_in),
                last_out=_iso(day.last_out),
                seconds_on_site=day.seconds_on_site,
                sessions=day.sessions,
                flags=day.flags,
            )
            for day in days
        ],
    )


@router.get("/v1/workers/{worker_id:int}/attendance/{day}", response_model=WorkerDay)
async def worker_day(worker_id: RowId, day: str, who: Caller, app: Services) -> WorkerDay:
    """考勤详情: each pass of one day, with direction, method and capture photo."""
    projects = await _worker_projects(app, who, worker_id)
    when = a.parse_day(day, "day", default=_today())
    passes = await app.clickhouse.run(q.worker_day_passes, str(worker_id), projects, when)
    return WorkerDay(
        worker_id=worker_id,
        day=when,
        passes=[
            PassView(
                occurred_at=_iso(item.occurred_at),
                direction=item.direction,
                method=item.method,
                device_id=item.device_id,
                project_id=item.project_id,
                score=item.score,
                snapshot_url=f"/v1/snapshots/{item.snapshot_ref}" if item.snapshot_ref else None,
            )
            for item in passes
        ],
    )


@router.get(
    "/v1/projects/{project_id}/attendance",
    response_model=ProjectAttendance,
    response_model_by_alias=True,
)
async def project_attendance(
    project_id: TextId,
    who: Caller,
    app: Services,
    start: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    period: Annotated[str | None, Query(description="day, week or month")] = None,
    group: Annotated[str | None, Query(description="none, team or trade")] = None,
) -> ProjectAttendance:
    """Workers and person-days per day, week or month, by team or trade; with the roster
    and attendance rate for daily figures of the whole project."""
    await _visible(app, who, project_id)
    first, last = a.parse_range(start, end, today=_today())
    per = a.parse_choice(period, "period", ("day", "week", "month"))
    by = a.parse_choice(group, "group", ("none", "team", "trade"))
    figures = await app.clickhouse.run(
        q.project_attendance, project_id, first, last, period=per, group=by
    )
    roster: dict[Any, int] = {}
    if per == "day" and by == "none":
        async with app.pool.connection() as conn:
            roster = await a.roster_by_day(conn, project_id, first, last)
    items = []
    for item in figures:
        row = PeriodView(
            period=item.period,
            group=item.group,
            workers=item.workers,
            person_days=item.person_days,
            seconds_on_site=item.seconds_on_site,
        )
        if roster:
            row.roster = roster.get(item.period, 0)
            row.attendance_rate = a.rate(item.workers, row.roster)
        items.append(row)
    return ProjectAttendance.model_validate(
        {
            "project_id": project_id,
            "from": first,
            "to": last,
            "period": per,
            "group": by,
            "items": items,
        }
    )


@router.get(
    "/v1/projects/{project_id}/attendance/update-rate",
    response_model=UpdateRate,
    response_model_by_alias=True,
)
async def update_rate(
    project_id: TextId,
    who: Caller,
    app: Services,
    days: Annotated[str | None, Query(description="1-92 (default 30)")] = None,
) -> UpdateRate:
    """考勤更新率: roster workers with attendance in the last N days."""
    await _visible(app, who, project_id)
    span = a.parse_days(days)
    last = _today()
    first = last - timedelta(days=span - 1)
    async with app.pool.connection() as conn:
        roster = await a.active_roster(conn, project_id)
    seen = await app.clickhouse.run(q.workers_seen, project_id, roster, first, last)
    return UpdateRate.model_validate(
        {
            "project_id": project_id,
            "days": span,
            "from": first,
            "to": last,
            "roster": len(roster),
            "updated": len(seen),
            "rate": a.rate(len(seen), len(roster)),
        }
    )


@router.get("/v1/projects/{project_id}/key-positions/presence", response_model=KeyPresence)
async def key_position_presence(
    project_id: TextId, who: Caller, app: Services, month: Month = None
) -> KeyPresence:
    """关键岗位到岗率 for one month."""
    await _visible(app, who, project_id)
    first, last = a.parse_month(month, default=_today())
    async with app.pool.connection() as conn:
        holders = await key_position_holders(conn, project_id, first, last)
    workers = [holder["worker_id"] for holder in holders]
    present = await app.clickhouse.run(q.days_present, project_id, workers, first, last)
    working = await app.clickhouse.run(q.working_days, project_id, first, last)
    items = [
        HolderView(
            **holder,
            days_present=present.get(holder["worker_id"], 0),
            rate=a.rate(present.get(holder["worker_id"], 0), working),
        )
        for holder in holders
    ]
    return KeyPresence(
        project_id=project_id, month=f"{first:%Y-%m}", working_days=working, items=items
    )


_PRESENCE = TypeAdapter(PresenceMessage)


def _presence(raw: bytes | str | None, project_id: str) -> PresenceView:
    """What the streams worker last wrote for the project; nobody on site without it."""
    message = None
    if raw is not None:
        try:
            message = _PRESENCE.validate_json(raw)
        except ValidationError:
            message = None
    if message is None:
        return PresenceView(project_id=project_id, headcount=0, by_team={}, by_trade={})
    return PresenceView(**message.model_dump(exclude={"type"}))


@router.get("/v1/projects/{project_id}/presence", response_model=PresenceView)
async def presence(project_id: TextId, who: Caller, app: Services) -> PresenceView:
    """Who is on site now: headcount by team and trade."""
    await _visible(app, who, project_id)
    raw = await app.redis.get(presence_key(app.settings.namespace, project_id))
    return _presence(raw, project_id)


@router.get("/v1/overview", response_model=Overview)
async def overview(
    who: Caller,
    app: Services,
    day: Annotated[str | None, Query(description="YYYY-MM-DD (default: today)")] = None,
    project_id: Annotated[str | None, Query(description="one project's figures")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> Overview:
    """The regulator's region at a glance: every visible project's roster, headcount now,
    attendance, unknown faces, re-verification mismatches of the day and open alerts. The
    totals cover every project in scope; ``projects`` is one page of them (``offset``,
    ``limit``; ``total_projects`` says how many there are)."""
    when = a.parse_day(day, "day", default=_today())
    async with app.pool.connection() as conn:
        projects = await a.visible_projects(conn, who)
        if project_id is not None:  # one project's figures (its live page)
            projects = [(project, name) for project, name in projects if project == project_id]
        ids = [project for project, _ in projects]
        rosters = await a.roster_sizes(conn, ids)
        open_alerts = await open_alert_counts(conn, ids)
    figures = {
        item.project_id: item for item in await app.clickhouse.run(q.project_days, ids, when, when)
    }
    namespace = app.settings.namespace
    raw = await app.redis.mget([presence_key(namespace, p) for p in ids]) if ids else []
    items = []
    for (pid, name), live in zip(projects, raw, strict=True):
        today = figures.get(pid)
        workers = today.workers if today else 0
        items.append(
            ProjectToday(
                project_id=pid,
                name=name,
                roster=rosters[pid],
                headcount_now=_presence(live, pid).headcount,
                workers_today=workers,
                attendance_rate=a.rate(workers, rosters[pid]),
                passes=today.passes if today else 0,
                unknown_faces=today.unknown_faces if today else 0,
                verification_mismatches=today.mismatches if today else 0,
                open_alerts=open_alerts[pid],
            )
        )
    sums = {
        key: sum(getattr(item, key) for item in items)
        for key in (
            "roster",
            "headcount_now",
            "workers_today",
            "passes",
            "unknown_faces",
            "open_alerts",
        )
    }
    totals = Totals(**sums, attendance_rate=a.rate(sums["workers_today"], sums["roster"]))
    return Overview(
        day=when,
        projects=items[offset : offset + limit],
        totals=totals,
        total_projects=len(items),
        offset=offset,
        limit=limit,
        headcounts={item.project_id: item.headcount_now for item in items},
    )
