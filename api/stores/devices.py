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
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.stores.audit import audit
from api.stores.outbox import record_change
from api.stores.rows import reading
from infra.errors import ConflictError, NotFoundError
from streams.records import NEW_ID_PATTERN

PROTOCOLS = ("sitepulse", "zkteco", "hikvision", "dahua", "httpv2")


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    device_id: str = Field(pattern=NEW_ID_PATTERN, max_length=64)
    direction: str = Field(default="unknown", pattern=r"^(in|out|unknown)$")
    vendor: str = Field(default="", max_length=64)
    model: str = Field(default="", max_length=64)
    protocol: str = Field(
        default="sitepulse",
        pattern=r"^(sitepulse|zkteco|hikvision|dahua|httpv2)$",
        description="how the terminal talks: SitePulse's signed JSON, or its vendor's protocol",
    )
    serial_number: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="the terminal's serial number (SN): how a vendor terminal is known",
    )
    timezone: str = Field(
        default="Asia/Shanghai", max_length=64, description="the zone of the terminal's clock"
    )
    address: str | None = Field(
        default=None,
        pattern=r"^https?://[A-Za-z0-9.:\[\]_-]{1,200}/?$",
        description="where the platform connects to the terminal (Dahua): http(s)://host[:port]",
    )
    username: str | None = Field(default=None, min_length=1, max_length=64)
    password: str | None = Field(
        default=None, min_length=1, max_length=128, description="kept, never shown again"
    )
    push_username: str | None = Field(default=None, min_length=1, max_length=64)
    push_password: str | None = Field(
        default=None,
        min_length=8,
        max_length=128,
        description="what a Hikvision terminal sends with its pushes (HTTP listening"
        " authentication: digest or Basic); kept, never shown again",
    )
    requests_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=100000,
        description="its own rate limit; null: the service's SITEPULSE_DEVICE_REQUESTS_PER_MINUTE",
    )

    @model_validator(mode="after")
    def _vendor_terminals_have_a_serial(self) -> DeviceIn:
        if self.protocol != "sitepulse" and self.serial_number is None:
            raise ValueError("a vendor terminal needs its serial_number")
        if self.protocol == "dahua" and (self.address is None or self.password is None):
            raise ValueError("a Dahua terminal needs its address and password: ingest connects")
        if self.push_password is not None and self.protocol != "hikvision":
            raise ValueError("push credentials are for Hikvision terminals (HTTP listening)")
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        return self


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
            "INSERT INTO devices (device_id, project_id, secret, direction, vendor, model,"
            " protocol, serial_number, timezone, address, username, login_password,"
            " requests_per_minute, push_username, push_password)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING device_id",
            (
                device.device_id,
                project_id,
                secret,
                device.direction,
                device.vendor,
                device.model,
                device.protocol,
                device.serial_number,
                device.timezone,
                device.address,
                (device.username or "admin") if device.address else None,
                device.password,
                device.requests_per_minute,
                (device.push_username or "admin") if device.push_password else None,
                device.push_password,
            ),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(
                f"device {device.device_id!r} (or serial {device.serial_number!r}) already exists"
            )

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
    protocol: str = "sitepulse"
    serial_number: str | None = None
    timezone: str = "Asia/Shanghai"


async def list_devices(conn: AsyncConnection[Any], project_id: str) -> list[DeviceView]:
    return await devices_of_projects(conn, [project_id])


async def devices_of_projects(
    conn: AsyncConnection[Any], project_ids: list[str]
) -> list[DeviceView]:
    cursor = await reading(conn, DeviceView).execute(
        "SELECT device_id, project_id, direction, vendor, model, disabled_at IS NOT NULL"
        " AS disabled, protocol, serial_number, timezone FROM devices"
        " WHERE project_id = ANY(%s) ORDER BY project_id, device_id",
        (project_ids,),
    )
    return await cursor.fetchall()


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


async def move_device(
    conn: AsyncConnection[Any], device_id: str, project_id: str, *, actor: str, reason: str
) -> str:
    """Move a gate to another project (a terminal taken to the next site); returns the
    project it left. Its roster follows on its next sync: the old project's workers are
    removed from it, the new one's added."""
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT project_id FROM devices WHERE device_id = %s FOR UPDATE", (device_id,)
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"device {device_id!r} does not exist")
        left = str(row[0])
        if left == project_id:
            raise ConflictError(
                f"device {device_id!r} is already in project {project_id!r}",
                message_zh="设备已在该项目",
            )
        await conn.execute(
            "UPDATE devices SET project_id = %s WHERE device_id = %s", (project_id, device_id)
        )
        await audit(
            conn,
            actor=actor,
            action="device.move",
            entity="device",
            entity_id=device_id,
            reason=reason,
            detail={"from": left, "to": project_id},
        )
        await _publish(conn, device_id)
    return left


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    project_id: str
    secret: str
    direction: str = "unknown"
    vendor: str = "sitepulse-sim"
    model: str = "virtual-gate"
    protocol: str = "sitepulse"  # a vendor terminal's serial number is its device id
    address: str | None = None  # a terminal the platform connects to (Dahua): where, login
    username: str | None = None
    password: str | None = None


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
    rows = [
        (
            d.device_id,
            d.project_id,
            d.secret,
            d.direction,
            d.vendor,
            d.model,
            d.protocol,
            d.device_id if d.protocol != "sitepulse" else None,
            d.address,
            d.username,
            d.password,
        )
        for d in wanted
    ]
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        # A gate simulated in another protocol than last time keeps its id and secret (a
        # simulated terminal the platform connects to is somewhere else each run).
        cursor.executemany(
            "INSERT INTO devices (device_id, project_id, secret, direction, vendor, model,"
            " protocol, serial_number, address, username, login_password)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (device_id)"
            " DO UPDATE SET protocol = EXCLUDED.protocol,"
            " serial_number = EXCLUDED.serial_number, address = EXCLUDED.address,"
            " username = EXCLUDED.username, login_password = EXCLUDED.login_password",
            rows,
        )
        cursor.execute(
            "SELECT device_id, secret FROM devices"
            " WHERE device_id = ANY(%s) AND disabled_at IS NULL",
            ([d.device_id for d in wanted],),
        )
        return {device_id: secret for device_id, secret in cursor.fetchall()}


class UnknownDevice(BaseModel):
    protocol: str
    serial_number: str
    address: str
    first_seen: datetime
    last_seen: datetime
    requests: int


async def unknown_devices(conn: AsyncConnection[Any], limit: int = 500) -> list[UnknownDevice]:
    """The latest unregistered callers (ingest notes them; those since registered are
    left out)."""
    cursor = await reading(conn, UnknownDevice).execute(
        "SELECT u.protocol, u.serial_number, u.address, u.first_seen, u.last_seen, u.requests"
        " FROM unknown_devices u WHERE NOT EXISTS (SELECT 1 FROM devices d"
        "  WHERE d.protocol = u.protocol AND d.serial_number = u.serial_number)"
        " ORDER BY u.last_seen DESC LIMIT %s",
        (limit,),
    )
    return await cursor.fetchall()
