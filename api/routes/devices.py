"""A project's gates: register (the secret is shown once), list, rotate the secret, disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from alerts.profiles import profile_for
from alerts.rules import smallest_offset
from alerts.store import load_overrides
from api.auth.guards import actor_of, require_registrar, require_visible_project
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, Services, TextId
from api.envelopes import Items
from api.stores.devices import (
    DeviceIn,
    DeviceView,
    IssuedCredential,
    RosterGap,
    UnknownDevice,
    device_project,
    disable_device,
    issue_device,
    list_devices,
    roster_gaps,
    rotate_device,
    unknown_devices,
)
from api.stores.projects import get_project
from infra.errors import ConfirmationRequiredError, FieldProblem, ForbiddenError, InvalidInputError
from streams.channels import device_clock_key, device_seen_key

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


@router.get("/v1/projects/{project_id}/devices/roster", response_model=Items[RosterGap])
async def get_roster_gaps(project_id: TextId, who: Caller, app: Services) -> Items[RosterGap]:
    """人员下发: what each vendor terminal of the project still lacks of its roster."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, project_id)
        return Items[RosterGap](items=await roster_gaps(conn, project_id))


@router.get("/v1/unknown-devices", response_model=Items[UnknownDevice])
async def get_unknown_devices(who: Caller, app: Services) -> Items[UnknownDevice]:
    """Vendor terminals that called and are not registered: a labour officer adopts one by
    registering it in a project with its protocol and serial number."""
    require_registrar(who, "adopt devices")
    async with app.pool.connection() as conn:
        return Items[UnknownDevice](items=await unknown_devices(conn))


class DeviceStatus(BaseModel):
    device_id: str
    protocol: str
    serial_number: str | None
    vendor: str
    model: str
    direction: str
    disabled: bool
    online: bool = Field(description="heard from within the region's device-offline minutes")
    last_seen: datetime | None
    clock_offset_s: float | None = Field(
        description="receive time minus the terminal's time (vendor terminals)"
    )
    roster_lacking: int | None = Field(description="roster workers the terminal lacks (人员下发)")


@router.get("/v1/projects/{project_id}/devices/status", response_model=Items[DeviceStatus])
async def get_device_status(project_id: TextId, who: Caller, app: Services) -> Items[DeviceStatus]:
    """设备状态: each gate's online state, last contact, clock offset and what it lacks."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, project_id)
        devices = await list_devices(conn, project_id)
        gaps = {gap.device_id: gap.lacking for gap in await roster_gaps(conn, project_id)}
        region = (await get_project(conn, project_id)).region_code
        overrides = await load_overrides(conn)
    ids = [device.device_id for device in devices]
    namespace = app.settings.namespace
    seen = await app.redis.hmget(device_seen_key(namespace), ids) if ids else []
    clocks = await app.redis.hmget(device_clock_key(namespace), ids) if ids else []
    offline_after = timedelta(minutes=profile_for(region, overrides).device_offline_minutes)
    now = datetime.now(UTC)
    items = []
    for device, at, clock in zip(devices, seen, clocks, strict=True):
        last = _seen_at(at)
        items.append(
            DeviceStatus(
                device_id=device.device_id,
                protocol=device.protocol,
                serial_number=device.serial_number,
                vendor=device.vendor,
                model=device.model,
                direction=device.direction,
                disabled=device.disabled,
                online=last is not None and now - last <= offline_after and not device.disabled,
                last_seen=last,
                clock_offset_s=smallest_offset(clock),
                roster_lacking=gaps.get(device.device_id),
            )
        )
    return Items[DeviceStatus](items=items)


def _seen_at(raw: bytes | str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None
