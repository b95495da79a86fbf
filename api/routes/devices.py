"""A project's gates: register or adopt (the secret is shown once), list, rotate the secret,
move to another project, disable; every change audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.auth.guards import (
    actor_of,
    require_project_in_scope,
    require_registrar,
    require_visible_project,
)
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, Services, TextId
from api.envelopes import Items
from api.stores.device_rosters import RosterGap, RosterGapWorker, roster_gap_workers, roster_gaps
from api.stores.devices import (
    DeviceIn,
    DeviceView,
    IssuedCredential,
    UnknownDevice,
    device_project,
    disable_device,
    issue_device,
    list_devices,
    move_device,
    rotate_device,
    unknown_devices,
)
from infra.errors import ConfirmationRequiredError, FieldProblem, ForbiddenError, InvalidInputError

router = APIRouter(tags=["devices"])


class DisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    confirm: StrictBool = False
    reason: str = Field(default="", max_length=500)


class Disabled(BaseModel):
    device_id: str
    disabled: bool


async def require_device_viewer(
    conn: AsyncConnection[Any], who: Principal, project_id: str
) -> None:
    """Staff whose scope covers the project see its gates; workers do not."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list devices")
    await require_visible_project(conn, who, project_id)


@router.get("/v1/projects/{project_id}/devices", response_model=Items[DeviceView])
async def get_devices(project_id: TextId, who: Caller, app: Services) -> Items[DeviceView]:
    """The project's gates, never their secrets."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, project_id)
        return Items[DeviceView](items=await list_devices(conn, project_id))


@router.post("/v1/projects/{project_id}/devices", status_code=201, response_model=IssuedCredential)
async def post_device(
    project_id: TextId, device: DeviceIn, who: Caller, app: Services
) -> IssuedCredential:
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await issue_device(conn, project_id, device, actor=actor_of(who))


@router.post("/v1/devices/{device_id}/rotate", response_model=IssuedCredential)
async def post_device_rotation(device_id: TextId, who: Caller, app: Services) -> IssuedCredential:
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await device_project(conn, device_id))
        return await rotate_device(conn, device_id, actor=actor_of(who))


@router.post("/v1/devices/{device_id}/disable", response_model=Disabled)
async def post_device_disable(
    device_id: TextId, body: DisableIn, who: Caller, app: Services
) -> Disabled:
    require_registrar(who, "change project rosters or devices")
    if not body.confirm:
        raise ConfirmationRequiredError("disabling a gate stops its passes: confirm it")
    if not body.reason:
        raise InvalidInputError([FieldProblem("reason", "required", "停用原因必填")])
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await device_project(conn, device_id))
        await disable_device(conn, device_id, actor=actor_of(who), reason=body.reason)
    return Disabled(device_id=device_id, disabled=True)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class Moved(BaseModel):
    device_id: str
    from_project_id: str
    project_id: str


@router.post("/v1/devices/{device_id}/move", response_model=Moved)
async def post_device_move(device_id: TextId, body: MoveIn, who: Caller, app: Services) -> Moved:
    """Move a gate to another project (both must be in the caller's scope); audited. Its
    passes count for the new project from the next request (within ingest's cache time),
    and its roster follows on the next sync."""
    require_registrar(who, "change project rosters or devices")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, await device_project(conn, device_id))
        await require_project_in_scope(conn, who, body.project_id)
        left = await move_device(
            conn, device_id, body.project_id, actor=actor_of(who), reason=body.reason
        )
    return Moved(device_id=device_id, from_project_id=left, project_id=body.project_id)


@router.get("/v1/projects/{project_id}/devices/roster", response_model=Items[RosterGap])
async def get_roster_gaps(project_id: TextId, who: Caller, app: Services) -> Items[RosterGap]:
    """人员下发: what each vendor terminal of the project still lacks of its roster."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, project_id)
        return Items[RosterGap](items=await roster_gaps(conn, project_id))


@router.get("/v1/devices/{device_id}/roster", response_model=Items[RosterGapWorker])
async def get_device_roster_gaps(
    device_id: TextId, who: Caller, app: Services
) -> Items[RosterGapWorker]:
    """人员下发 of one terminal: who it still lacks and who it holds that left, each with
    their last command's state, attempts and the terminal's answer."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, await device_project(conn, device_id))
        return Items[RosterGapWorker](items=await roster_gap_workers(conn, device_id))


@router.get("/v1/unknown-devices", response_model=Items[UnknownDevice])
async def get_unknown_devices(who: Caller, app: Services) -> Items[UnknownDevice]:
    """Vendor terminals that called and are not registered: a labour officer adopts one by
    registering it in a project with its protocol and serial number."""
    require_registrar(who, "adopt devices")
    async with app.pool.connection() as conn:
        return Items[UnknownDevice](items=await unknown_devices(conn))
