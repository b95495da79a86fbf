"""Alerts for people: list within scope, detail with history and deliveries, acknowledge,
resolve."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from alerts.store import act
from api.auth.guards import actor_of, require_visible_project
from api.auth.principal import REGISTRARS, Principal, Role, ScopeKind
from api.dependencies import Caller, RowId, Services
from api.envelopes import Items
from api.stores.alert_views import AlertDetail, AlertView, alert_detail, find_alerts, get_alert
from infra.errors import ForbiddenError

router = APIRouter(tags=["alerts"])

Status = Literal["open", "acknowledged", "resolved", "cleared"]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=500)


@router.get("/v1/alerts", response_model=Items[AlertView])
async def list_alerts(
    who: Caller,
    app: Services,
    status: Annotated[Status | None, Query()] = None,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Items[AlertView]:
    """The 200 latest alerts in the caller's scope, newest change first."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers receive their notifications on their own channel")
    async with app.pool.connection() as conn:
        found = await find_alerts(conn, who, status=status, project_id=project_id)
    return Items[AlertView](items=found)


async def _visible_alert(app: Services, who: Principal, alert_id: int) -> AlertView:
    async with app.pool.connection() as conn:
        alert = await get_alert(conn, alert_id)
        await require_visible_project(conn, who, alert.project_id)
    return alert


@router.get("/v1/alerts/{alert_id:int}", response_model=AlertDetail)
async def show_alert(alert_id: RowId, who: Caller, app: Services) -> AlertDetail:
    alert = await _visible_alert(app, who, alert_id)
    async with app.pool.connection() as conn:
        return await alert_detail(conn, alert)


async def _act(app: Services, who: Principal, alert_id: int, action: str, note: str) -> AlertView:
    if who.role not in REGISTRARS and who.role is not Role.REGULATOR:
        raise ForbiddenError(f"role {who.role.value} cannot {action} alerts")
    await _visible_alert(app, who, alert_id)
    async with app.pool.connection() as conn:
        await act(conn, alert_id, action, actor_of(who), note)
        return await get_alert(conn, alert_id)


@router.post("/v1/alerts/{alert_id:int}/acknowledge", response_model=AlertView)
async def acknowledge(alert_id: RowId, body: NoteIn, who: Caller, app: Services) -> AlertView:
    return await _act(app, who, alert_id, "acknowledge", body.note)


@router.post("/v1/alerts/{alert_id:int}/resolve", response_model=AlertView)
async def resolve(alert_id: RowId, body: NoteIn, who: Caller, app: Services) -> AlertView:
    return await _act(app, who, alert_id, "resolve", body.note)
