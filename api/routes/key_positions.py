"""Key positions (关键岗位): entry and exit requested on site, decided by a regulator."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth.guards import actor_of, require_registrar, require_visible_project
from api.auth.principal import Role, ScopeKind
from api.dependencies import Caller, RowId, Services, TextId
from api.envelopes import Items
from api.stores.key_positions import (
    KeyPositionIn,
    KeyPositionView,
    decide,
    list_positions,
    position_project,
    request_entry,
    request_exit,
)
from infra.errors import ForbiddenError

router = APIRouter(tags=["key positions"])


class ExitRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=500)


@router.post(
    "/v1/projects/{project_id}/key-positions", status_code=201, response_model=KeyPositionView
)
async def post_key_position(
    project_id: TextId, body: KeyPositionIn, who: Caller, app: Services
) -> KeyPositionView:
    require_registrar(who, "make this request")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await request_entry(conn, project_id, body, actor=actor_of(who))


@router.get("/v1/projects/{project_id}/key-positions", response_model=Items[KeyPositionView])
async def get_key_positions(
    project_id: TextId, who: Caller, app: Services
) -> Items[KeyPositionView]:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list key positions")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return Items[KeyPositionView](items=await list_positions(conn, project_id))


@router.post("/v1/key-positions/{position_id:int}/exit-request", response_model=KeyPositionView)
async def post_key_position_exit(
    position_id: RowId, body: ExitRequestIn, who: Caller, app: Services
) -> KeyPositionView:
    require_registrar(who, "make this request")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await position_project(conn, position_id))
        return await request_exit(conn, position_id, actor=actor_of(who), reason=body.reason)


@router.post("/v1/key-positions/{position_id:int}/decision", response_model=KeyPositionView)
async def post_key_position_decision(
    position_id: RowId, body: DecisionIn, who: Caller, app: Services
) -> KeyPositionView:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators approve key-position entries and exits")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await position_project(conn, position_id))
        return await decide(
            conn,
            position_id,
            approve=body.decision == "approve",
            actor=actor_of(who),
            reason=body.reason,
        )
