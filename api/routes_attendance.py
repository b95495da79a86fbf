"""Attendance endpoints: a worker's calendar and day detail, project figures and rates,
live presence, and the regulator's overview of a region. Scoped like every endpoint."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alerts.registry_reads import key_position_holders
from analytics import attendance_queries as q
from api import attendance as a
from api.access import can_access_worker
from api.guards import path_id, require_visible_project
from api.http import handles_errors, principal_of
from infra.errors import NotFoundError
from streams.channels import presence_key
from streams.local_time import BEIJING


def _today() -> Any:
    return datetime.now(BEIJING).date()


def _iso(moment: Any) -> str | None:
    """ClickHouse returns naive UTC; the API answers with an explicit offset."""
    return None if moment is None else moment.isoformat() + "Z"


async def _worker_projects(request: Request) -> tuple[int, list[str]]:
    who = principal_of(request)
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, who, worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
        return worker_id, await a.projects_of_worker(conn, who, worker_id)


async def worker_calendar(request: Request) -> Response:
    """考勤日历: one month of the worker's attendance days."""
    worker_id, projects = await _worker_projects(request)
    first, last = a.parse_month(request.query_params.get("month"), default=_today())
    days = await request.app.state.clickhouse.run(
        q.worker_calendar, str(worker_id), projects, first, last
    )
    return JSONResponse(
        {
            "worker_id": worker_id,
            "month": f"{first:%Y-%m}",
            "days_attended": len({day.day for day in days}),
            "days": [
                {
                    "day": day.day.isoformat(),
                    "project_id": day.project_id,
                    "first_in": _iso(day.first_in),
                    "last_out": _iso(day.last_out),
                    "seconds_on_site": day.seconds_on_site,
                    "sessions": day.sessions,
                    "flags": day.flags,
                }
                for day in days
            ],
        }
    )


async def worker_day(request: Request) -> Response:
    """考勤详情: each pass of one day, with direction, method and capture photo."""
    worker_id, projects = await _worker_projects(request)
    day = a.parse_day(request.path_params["day"], "day", default=_today())
    passes = await request.app.state.clickhouse.run(
        q.worker_day_passes, str(worker_id), projects, day
    )
    return JSONResponse(
        {
            "worker_id": worker_id,
            "day": day.isoformat(),
            "passes": [
                {
                    "occurred_at": _iso(item.occurred_at),
                    "direction": item.direction,
                    "method": item.method,
                    "device_id": item.device_id,
                    "project_id": item.project_id,
                    "score": item.score,
                    "snapshot_url": f"/v1/snapshots/{item.snapshot_ref}"
                    if item.snapshot_ref
                    else None,
                }
                for item in passes
            ],
        }
    )


async def _visible_project(request: Request) -> str:
    who = principal_of(request)
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
    return str(project_id)


async def project_attendance(request: Request) -> Response:
    project_id = await _visible_project(request)
    params = request.query_params
    first, last = a.parse_range(params.get("from"), params.get("to"), today=_today())
    period = a.parse_choice(params.get("period"), "period", ("day", "week", "month"))
    group = a.parse_choice(params.get("group"), "group", ("none", "team", "trade"))
    figures = await request.app.state.clickhouse.run(
        q.project_attendance, project_id, first, last, period=period, group=group
    )
    roster: dict[Any, int] = {}
    if period == "day" and group == "none":
        async with request.app.state.pool.connection() as conn:
            roster = await a.roster_by_day(conn, project_id, first, last)
    items = []
    for item in figures:
        row: dict[str, Any] = {
            "period": item.period.isoformat(),
            "group": item.group,
            "workers": item.workers,
            "person_days": item.person_days,
            "seconds_on_site": item.seconds_on_site,
        }
        if roster:
            row["roster"] = roster.get(item.period, 0)
            row["attendance_rate"] = a.rate(item.workers, row["roster"])
        items.append(row)
    body = {
        "project_id": project_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "period": period,
        "group": group,
        "items": items,
    }
    return JSONResponse(body)


async def update_rate(request: Request) -> Response:
    """考勤更新率: roster workers with attendance in the last N days."""
    project_id = await _visible_project(request)
    days = a.parse_days(request.query_params.get("days"))
    last = _today()
    first = last - timedelta(days=days - 1)
    async with request.app.state.pool.connection() as conn:
        roster = await a.active_roster(conn, project_id)
    seen = await request.app.state.clickhouse.run(q.workers_seen, project_id, roster, first, last)
    return JSONResponse(
        {
            "project_id": project_id,
            "days": days,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "roster": len(roster),
            "updated": len(seen),
            "rate": a.rate(len(seen), len(roster)),
        }
    )


async def key_position_presence(request: Request) -> Response:
    """关键岗位到岗率 for one month."""
    project_id = await _visible_project(request)
    first, last = a.parse_month(request.query_params.get("month"), default=_today())
    async with request.app.state.pool.connection() as conn:
        holders = await key_position_holders(conn, project_id, first, last)
    ch = request.app.state.clickhouse
    present = await ch.run(
        q.days_present, project_id, [h["worker_id"] for h in holders], first, last
    )
    working = await ch.run(q.working_days, project_id, first, last)
    items = [
        {
            **holder,
            "days_present": present.get(holder["worker_id"], 0),
            "rate": a.rate(present.get(holder["worker_id"], 0), working),
        }
        for holder in holders
    ]
    return JSONResponse(
        {
            "project_id": project_id,
            "month": f"{first:%Y-%m}",
            "working_days": working,
            "items": items,
        }
    )


def _presence(raw: bytes | None, project_id: str) -> dict[str, Any]:
    if raw is None:
        return {"project_id": project_id, "headcount": 0, "by_team": {}, "by_trade": {}}
    value: dict[str, Any] = json.loads(raw)
    value.pop("type", None)
    return value


async def presence(request: Request) -> Response:
    """Who is on site now: headcount by team and trade."""
    project_id = await _visible_project(request)
    namespace = request.app.state.settings.namespace
    raw = await request.app.state.redis.get(presence_key(namespace, project_id))
    return JSONResponse(_presence(raw, project_id))


async def overview(request: Request) -> Response:
    """The regulator's region at a glance: every visible project's roster, headcount now,
    attendance, unknown faces, re-verification mismatches of the day and open alerts."""
    who = principal_of(request)
    day = a.parse_day(request.query_params.get("day"), "day", default=_today())
    only = request.query_params.get("project_id")
    async with request.app.state.pool.connection() as conn:
        projects = await a.visible_projects(conn, who)
        if only is not None:  # one project's figures (its live page)
            projects = [(project, name) for project, name in projects if project == only]
        ids = [project for project, _ in projects]
        rosters = await a.roster_sizes(conn, ids)
        open_alerts = await a.open_alert_counts(conn, ids)
    figures = {
        item.project_id: item
        for item in await request.app.state.clickhouse.run(q.project_days, ids, day, day)
    }
    namespace = request.app.state.settings.namespace
    raw = (
        await request.app.state.redis.mget([presence_key(namespace, p) for p in ids]) if ids else []
    )
    items = []
    for (project_id, name), live in zip(projects, raw, strict=True):
        today = figures.get(project_id)
        workers = today.workers if today else 0
        items.append(
            {
                "project_id": project_id,
                "name": name,
                "roster": rosters[project_id],
                "headcount_now": _presence(live, project_id)["headcount"],
                "workers_today": workers,
                "attendance_rate": a.rate(workers, rosters[project_id]),
                "passes": today.passes if today else 0,
                "unknown_faces": today.unknown_faces if today else 0,
                "verification_mismatches": today.mismatches if today else 0,
                "open_alerts": open_alerts[project_id],
            }
        )
    totals = {
        key: sum(item[key] for item in items)
        for key in (
            "roster",
            "headcount_now",
            "workers_today",
            "passes",
            "unknown_faces",
            "open_alerts",
        )
    }
    totals["attendance_rate"] = a.rate(totals["workers_today"], totals["roster"])
    return JSONResponse({"day": day.isoformat(), "projects": items, "totals": totals})


routes = [
    Route("/v1/workers/{worker_id:int}/attendance", handles_errors(worker_calendar)),
    Route("/v1/workers/{worker_id:int}/attendance/{day}", handles_errors(worker_day)),
    Route("/v1/projects/{project_id}/attendance", handles_errors(project_attendance)),
    Route("/v1/projects/{project_id}/attendance/update-rate", handles_errors(update_rate)),
    Route(
        "/v1/projects/{project_id}/key-positions/presence",
        handles_errors(key_position_presence),
    ),
    Route("/v1/projects/{project_id}/presence", handles_errors(presence)),
    Route("/v1/overview", handles_errors(overview)),
]
