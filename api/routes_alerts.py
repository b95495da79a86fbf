"""Alerts for people: list within scope, detail with history and deliveries, acknowledge,
resolve; and the thresholds that apply to a region, which its regulators may set."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from psycopg import AsyncConnection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alerts.profiles import profile_for, validate_overrides
from alerts.store import act, load_overrides, save_overrides
from api.audit import audit
from api.guards import actor_of, path_id, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.principal import REGISTRARS, Role, ScopeKind
from api.projects import scope_filter
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError
from streams.regions import region_prefix

_COLUMNS = (
    "alert_id, rule, subject, window_key, project_id, severity, status, message_zh, evidence,"
    " opened_at, updated_at, acknowledged_by, acknowledged_at, resolved_by, resolved_at,"
    " cleared_at, escalated_at, held_reason"
)
_STATUSES = ("open", "acknowledged", "resolved", "cleared")


def _view(row: tuple[Any, ...]) -> dict[str, Any]:
    names = [name.strip() for name in _COLUMNS.split(",")]
    view = dict(zip(names, row, strict=True))
    view["window"] = view.pop("window_key")
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in view.items()}


async def _visible_alert(conn: AsyncConnection[Any], request: Request) -> dict[str, Any]:
    who = principal_of(request)
    alert_id = path_id(request, "alert_id", "alert")
    cursor = await conn.execute(f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = %s", (alert_id,))
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    await require_visible_project(conn, who, row[4])
    return _view(row)


async def list_alerts(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers receive their notifications on their own channel")
    status = request.query_params.get("status")
    if status is not None and status not in _STATUSES:
        problem = FieldProblem("status", f"must be one of {', '.join(_STATUSES)}", "状态不正确")
        raise InvalidInputError([problem])
    condition, params = scope_filter(who)
    project_id = request.query_params.get("project_id")
    sql = (
        f"SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}"
        f" FROM alerts a JOIN projects p ON p.project_id = a.project_id WHERE {condition}"
    )
    if status:
        sql += " AND a.status = %s"
        params.append(status)
    if project_id:
        sql += " AND a.project_id = %s"
        params.append(project_id)
    sql += " ORDER BY a.updated_at DESC LIMIT 200"
    async with request.app.state.pool.connection() as conn:
        cursor = await conn.execute(sql, params)
        items = [_view(row) for row in await cursor.fetchall()]
    return JSONResponse({"items": items})


async def show_alert(request: Request) -> Response:
    async with request.app.state.pool.connection() as conn:
        alert = await _visible_alert(conn, request)
        events = await conn.execute(
            "SELECT at, kind, actor, detail FROM alert_events WHERE alert_id = %s"
            " ORDER BY event_id",
            (alert["alert_id"],),
        )
        history = [
            {"at": row[0].isoformat(), "kind": row[1], "actor": row[2], "detail": row[3]}
            for row in await events.fetchall()
        ]
        log = await conn.execute(
            "SELECT transition, channel, recipient, status, attempts, last_error, sent_at"
            " FROM notification_log WHERE alert_id = %s ORDER BY notification_id",
            (alert["alert_id"],),
        )
        deliveries = [
            {
                "transition": row[0],
                "channel": row[1],
                "recipient": row[2],
                "status": row[3],
                "attempts": row[4],
                "last_error": row[5],
                "sent_at": row[6].isoformat() if row[6] else None,
            }
            for row in await log.fetchall()
        ]
    return JSONResponse({**alert, "history": history, "notifications": deliveries})


async def _act(request: Request, action: str) -> Response:
    who = principal_of(request)
    if who.role not in REGISTRARS and who.role is not Role.REGULATOR:
        raise ForbiddenError(f"role {who.role.value} cannot {action} alerts")
    body = await json_object(request)
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise InvalidInputError([FieldProblem("note", "at most 500 characters", "备注过长")])
    async with request.app.state.pool.connection() as conn:
        alert = await _visible_alert(conn, request)
        await act(conn, int(alert["alert_id"]), action, actor_of(who), note)
        alert = await _visible_alert(conn, request)
    return JSONResponse(alert)


async def acknowledge(request: Request) -> Response:
    return await _act(request, "acknowledge")


async def resolve(request: Request) -> Response:
    return await _act(request, "resolve")


def _region_code(value: str, field: str) -> str:
    if not (value.isascii() and value.isdigit() and len(value) == 6):
        problem = FieldProblem(field, "a 6-digit region code", "行政区划代码不正确")
        raise InvalidInputError([problem])
    return value


async def rule_profile(request: Request) -> Response:
    """The thresholds that apply to a region (default: the caller's own)."""
    who = principal_of(request)
    region = request.query_params.get("region") or (
        who.scope_id if who.scope_kind is ScopeKind.REGION else ""
    )
    if region:
        _region_code(region, "region")
    async with request.app.state.pool.connection() as conn:
        overrides = await load_overrides(conn)
    return JSONResponse({"region": region, **asdict(profile_for(region, overrides))})


async def set_rule_overrides(request: Request) -> Response:
    """A regulator sets thresholds for a region inside their own (an empty body removes
    them). The next evaluation uses them; findings record the new version."""
    who = principal_of(request)
    code = _region_code(request.path_params["region"], "region")
    prefix = region_prefix(code)
    if who.role is not Role.REGULATOR or not prefix.startswith(region_prefix(who.scope_id)):
        raise ForbiddenError(f"only a regulator covering {code} may set its alert thresholds")
    body = await json_object(request)
    try:
        values = validate_overrides(body)
    except ValueError as exc:
        raise InvalidInputError([FieldProblem("body", str(exc), "阈值设置不正确")]) from None
    async with request.app.state.pool.connection() as conn, conn.transaction():
        await save_overrides(conn, prefix, values, actor=actor_of(who))
        await audit(
            conn,
            actor=actor_of(who),
            action="alert_rules.set",
            entity="region",
            entity_id=prefix,
            detail=values,
        )
        overrides = await load_overrides(conn)
    return JSONResponse({"region": code, **asdict(profile_for(code, overrides))})


routes = [
    Route("/v1/alerts", handles_errors(list_alerts), methods=["GET"]),
    Route("/v1/alerts/{alert_id:int}", handles_errors(show_alert), methods=["GET"]),
    Route("/v1/alerts/{alert_id:int}/acknowledge", handles_errors(acknowledge), methods=["POST"]),
    Route("/v1/alerts/{alert_id:int}/resolve", handles_errors(resolve), methods=["POST"]),
    Route("/v1/alert-rules", handles_errors(rule_profile), methods=["GET"]),
    Route("/v1/alert-rules/{region}", handles_errors(set_rule_overrides), methods=["PUT"]),
]
