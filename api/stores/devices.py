"""Devices (the ``devices`` table, written only here): credentials issued once, rotated on
demand, never shown again or published; and bulk provisioning for the simulator, the
benchmarks and the tests.

Ingest caches credentials for ``SITEPULSE_DEVICE_CACHE_TTL_S`` (30 s by default), so a
rotation or a disable takes effect on every ingest process within that time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.stores.audit import audit
from api.stores.outbox import record_change
from infra.errors import ConflictError, NotFoundError
from streams.records import NEW_ID_PATTERN


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    device_id: str = Field(pattern=NEW_ID_PATTERN, max_length=64)
    direction: str = Field(default="unknown", pattern=r"^(in|out|unknown)$")
    vendor: str = Field(default="", max_length=64)
    model: str = Field(default="", max_length=64)


class IssuedCredential(BaseModel):
    device_id: str
    project_id: str
    secret: str  # shown only in this response


def new_secret() -> str:
    return secrets.token_hex(24)


async def _publish(conn: AsyncConnection[Any], device_id: str) -> str:
    cursor = await conn.execute(
        "SELECT project_id, direction, vendor, model, disabled_at IS NOT NULL FROM devices"
        " WHERE device_id = %s",
        (device_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"device {device_id!r} does not exist")
    state = {
        "device_id": device_id,
        "project_id": row[0],
        "direction": row[1],
        "vendor": row[2],
        "model": row[3],
        "disabled": row[4],
    }
    await record_change(conn, "device", device_id, state)
    return str(row[0])


async def issue_device(
    conn: AsyncConnection[Any], project_id: str, device: DeviceIn, *, actor: str
) -> IssuedCredential:
    secret = new_secret()
    async with conn.transaction():
        cursor = await conn.execute(
            "INSERT INTO devices (device_id, project_id, secret, direction, vendor, model)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING device_id",
            (device.device_id, project_id, secret, device.direction, device.vendor, device.model),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(f"device {device.device_id!r} already exists")
        await audit(
            conn,
            actor=actor,
            action="device.issue",
            entity="device",
            entity_id=device.device_id,
            detail={"project_id": project_id},
        )
        await _publish(conn, device.device_id)
    return IssuedCredential(device_id=device.device_id, project_id=project_id, secret=secret)


async def device_project(conn: AsyncConnection[Any], device_id: str) -> str:
    cursor = await conn.execute("SELECT project_id FROM devices WHERE device_id = %s", (device_id,))
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"device {device_id!r} does not exist")
    return str(row[0])


async def rotate_device(
    conn: AsyncConnection[Any], device_id: str, *, actor: str
) -> IssuedCredential:
    """A new secret; the old one stops working once ingest's credential cache expires."""
    secret = new_secret()
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE devices SET secret = %s, disabled_at = NULL WHERE device_id = %s"
            " RETURNING project_id",
            (secret, device_id),
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"device {device_id!r} does not exist")
        await audit(conn, actor=actor, action="device.rotate", entity="device", entity_id=device_id)
        await _publish(conn, device_id)
    return IssuedCredential(device_id=device_id, project_id=str(row[0]), secret=secret)


class DeviceView(BaseModel):
    device_id: str
    project_id: str
    direction: str
    vendor: str
    model: str
    disabled: bool


async def list_devices(conn: AsyncConnection[Any], project_id: str) -> list[DeviceView]:
    cursor = await conn.execute(
        "SELECT device_id, project_id, direction, vendor, model, disabled_at IS NOT NULL"
        " FROM devices WHERE project_id = %s ORDER BY device_id",
        (project_id,),
    )
    return [
        DeviceView(
            device_id=r[0], project_id=r[1], direction=r[2], vendor=r[3], model=r[4], disabled=r[5]
        )
        for r in await cursor.fetchall()
    ]


async def disable_device(
    conn: AsyncConnection[Any], device_id: str, *, actor: str, reason: str
) -> None:
    """Stop a device's requests (within ingest's credential cache time); rotation re-enables."""
    async with conn.transaction():
        cursor = await conn.execute(
            "UPDATE devices SET disabled_at = now() WHERE device_id = %s AND disabled_at IS NULL"
            " RETURNING device_id",
            (device_id,),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(f"device {device_id!r} is already disabled")
        await audit(
            conn,
            actor=actor,
            action="device.disable",
            entity="device",
            entity_id=device_id,
            reason=reason,
        )
        await _publish(conn, device_id)


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    project_id: str
    secret: str
    direction: str = "unknown"
    vendor: str = "sitepulse-sim"
    model: str = "virtual-gate"


def provision_devices(dsn: str, devices: Iterable[DeviceRecord]) -> int:
    """Insert or update devices and their secrets; returns how many were written."""
    rows = [(d.device_id, d.project_id, d.secret, d.direction, d.vendor, d.model) for d in devices]
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO devices (device_id, project_id, secret, direction, vendor, model)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (device_id) DO UPDATE SET project_id = EXCLUDED.project_id,"
            " secret = EXCLUDED.secret, direction = EXCLUDED.direction,"
            " vendor = EXCLUDED.vendor, model = EXCLUDED.model, disabled_at = NULL",
            rows,
        )
    return len(rows)


def ensure_devices(dsn: str, devices: Iterable[DeviceRecord]) -> dict[str, str]:
    """Create the devices that do not exist yet; returns every device's current secret.

    Existing devices keep their secret, so two simulators of one site can run side by side.
    """
    wanted = list(devices)
    rows = [(d.device_id, d.project_id, d.secret, d.direction, d.vendor, d.model) for d in wanted]
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO devices (device_id, project_id, secret, direction, vendor, model)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (device_id) DO NOTHING",
            rows,
        )
        cursor.execute(
            "SELECT device_id, secret FROM devices"
            " WHERE device_id = ANY(%s) AND disabled_at IS NULL",
            ([d.device_id for d in wanted],),
        )
        return {device_id: secret for device_id, secret in cursor.fetchall()}
