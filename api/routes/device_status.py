"""设备状态: each gate's online state, last contact, last pass, firmware, backlog, clock
offset and what it lacks of its roster, for one project or for everything in scope.

The facts come from Redis (ingest writes last contact and clock offsets; streams writes
what heartbeats and passes tell, see :mod:`streams.device_states`) and from
``device_commands``; online means heard from within the region's device-offline minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query
from psycopg import AsyncConnection
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from alerts.profiles import profile_for
from alerts.rules import smallest_offset
from alerts.store import load_overrides
from api.auth.principal import ScopeKind
from api.dependencies import AppServices, Caller, Services, TextId
from api.envelopes import Items
from api.routes.devices import require_device_viewer
from api.stores.device_rosters import roster_gaps_of_projects
from api.stores.devices import DeviceView, devices_of_projects
from api.stores.projects import ProjectView, every_visible_project, get_project
from infra.errors import ForbiddenError
from streams.channels import DEVICE_FACTS, device_clock_key, device_seen_key, device_state_key

router = APIRouter(tags=["devices"])


class DeviceStatus(BaseModel):
    device_id: str
    project_id: str
    project_name: str
    protocol: str
    serial_number: str | None
    vendor: str
    model: str
    direction: str
    disabled: bool
    online: bool = Field(description="heard from within the region's device-offline minutes")
    last_seen: datetime | None
    last_heartbeat: datetime | None
    last_pass: datetime | None = Field(description="the time of its newest pass")
    firmware: str | None
    backlog: int | None = Field(description="passes it holds unsent, where it says")
    clock_offset_s: float | None = Field(
        description="receive time minus the terminal's time (vendor terminals)"
    )
    roster_lacking: int | None = Field(description="roster workers the terminal lacks (人员下发)")


class DeviceStatusBoard(BaseModel):
    items: list[DeviceStatus]
    total: int
    online: int
    offline: int
    disabled: int


@router.get("/v1/projects/{project_id}/devices/status", response_model=Items[DeviceStatus])
async def get_project_device_status(
    project_id: TextId, who: Caller, app: Services
) -> Items[DeviceStatus]:
    """设备状态 of one project's gates."""
    async with app.pool.connection() as conn:
        await require_device_viewer(conn, who, project_id)
        projects = [await get_project(conn, project_id)]
        return Items[DeviceStatus](items=await _statuses(conn, app, projects))


@router.get("/v1/devices/status", response_model=DeviceStatusBoard)
async def get_device_status_board(
    who: Caller,
    app: Services,
    offline_only: bool = Query(default=False, description="only gates not heard from"),
) -> DeviceStatusBoard:
    """设备状态 of every gate in the caller's scope (a region, an enterprise, a project),
    offline ones first, with the counts."""
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list devices")
    async with app.pool.connection() as conn:
        projects = await every_visible_project(conn, who)
        statuses = await _statuses(conn, app, projects)
    active = [s for s in statuses if not s.disabled]
    online = sum(1 for s in active if s.online)
    shown = [s for s in statuses if not (offline_only and (s.online or s.disabled))]
    shown.sort(key=lambda s: (s.disabled, s.online, s.project_id, s.device_id))
    return DeviceStatusBoard(
        items=shown,
        total=len(statuses),
        online=online,
        offline=len(active) - online,
        disabled=len(statuses) - len(active),
    )


async def _statuses(
    conn: AsyncConnection[Any], app: AppServices, projects: list[ProjectView]
) -> list[DeviceStatus]:
    by_id = {project.project_id: project for project in projects}
    ids = list(by_id)
    devices = await devices_of_projects(conn, ids)
    gaps = {gap.device_id: gap.lacking for gap in await roster_gaps_of_projects(conn, ids)}
    overrides = await load_overrides(conn)
    offline_after = {
        project_id: timedelta(minutes=profile_for(p.region_code, overrides).device_offline_minutes)
        for project_id, p in by_id.items()
    }
    facts = await _device_facts(app.redis, app.settings.namespace, devices)
    now = datetime.now(UTC)
    items = []
    for device in devices:
        told = facts[device.device_id]
        last = _unix_time(told["last_seen"])
        backlog = told["backlog"]
        items.append(
            DeviceStatus(
                device_id=device.device_id,
                project_id=device.project_id,
                project_name=by_id[device.project_id].name,
                protocol=device.protocol,
                serial_number=device.serial_number,
                vendor=device.vendor,
                model=device.model,
                direction=device.direction,
                disabled=device.disabled,
                online=last is not None
                and now - last <= offline_after[device.project_id]
                and not device.disabled,
                last_seen=last,
                last_heartbeat=_unix_time(told["heartbeat_at"]),
                last_pass=_unix_time(told["last_pass_at"]),
                firmware=_text(told["firmware"]),
                backlog=int(backlog) if backlog and backlog.isdigit() else None,
                clock_offset_s=smallest_offset(told["clock"]),
                roster_lacking=gaps.get(device.device_id),
            )
        )
    return items


async def _device_facts(
    redis: Redis, namespace: str, devices: list[DeviceView]
) -> dict[str, dict[str, str | None]]:
    """Per device: last_seen, clock, and each of DEVICE_FACTS, as text (None: unknown)."""
    ids = [device.device_id for device in devices]
    if not ids:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hmget(device_seen_key(namespace), ids)
        pipe.hmget(device_clock_key(namespace), ids)
        pipe.hmget(
            device_state_key(namespace), [f"{d}:{fact}" for d in ids for fact in DEVICE_FACTS]
        )
        seen, clocks, states = await pipe.execute()
    facts: dict[str, dict[str, str | None]] = {}
    for index, device_id in enumerate(ids):
        told = states[index * len(DEVICE_FACTS) : (index + 1) * len(DEVICE_FACTS)]
        facts[device_id] = {
            "last_seen": _text(seen[index]),
            "clock": _text(clocks[index]),
            **{fact: _text(value) for fact, value in zip(DEVICE_FACTS, told, strict=True)},
        }
    return facts


def _text(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def _unix_time(raw: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None
