"""Vendor terminals as ingest knows them: looked up by protocol and serial number (through a
short cache), and the serials that call without being registered, kept for a labour
officer to adopt into a project."""

from __future__ import annotations

import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from psycopg_pool import AsyncConnectionPool

from streams.records import Direction

_SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Terminal:
    device_id: str
    project_id: str
    direction: Direction
    zone: ZoneInfo
    requests_per_minute: int | None = None  # None: the service's default
    push_login: tuple[str, str] | None = None  # (user, password) it must send, if any


class TerminalDirectory:
    """``find`` answers None for a serial that is not registered (or is disabled), and
    notes it in ``unknown_devices``."""

    def __init__(self, pool: AsyncConnectionPool, *, ttl_s: float) -> None:
        self._pool = pool
        self._ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, Terminal | None]] = {}

    async def find(self, protocol: str, serial_number: str, address: str) -> Terminal | None:
        key = (protocol, serial_number)
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT device_id, project_id, direction, timezone, requests_per_minute,"
                " push_username, push_password FROM devices"
                " WHERE protocol = %s AND serial_number = %s AND disabled_at IS NULL",
                key,
            )
            row = await cursor.fetchone()
            if row is None:
                await conn.execute(
                    "INSERT INTO unknown_devices (protocol, serial_number, address)"
                    " VALUES (%s, %s, %s) ON CONFLICT (protocol, serial_number) DO UPDATE"
                    " SET last_seen = now(), address = EXCLUDED.address,"
                    " requests = unknown_devices.requests + 1",
                    (protocol, serial_number, address[:64]),
                )
        terminal = None
        if row is not None:
            login = (str(row[5]), str(row[6])) if row[6] is not None else None
            terminal = Terminal(
                str(row[0]), str(row[1]), Direction(row[2]), zone_named(str(row[3])), row[4], login
            )
        self._cache[key] = (time.monotonic(), terminal)
        return terminal


@dataclass(frozen=True)
class ReachableTerminal:
    """A terminal the platform calls: where it is and its login."""

    terminal: Terminal
    protocol: str
    address: str  # http(s)://host[:port]
    username: str
    password: str


async def reachable_terminals(
    pool: AsyncConnectionPool, protocols: tuple[str, ...]
) -> list[ReachableTerminal]:
    """The enabled terminals of these protocols that have an address."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT device_id, project_id, direction, timezone, protocol, address,"
            " coalesce(username, 'admin'), coalesce(login_password, '') FROM devices"
            " WHERE protocol = ANY(%s) AND disabled_at IS NULL AND address IS NOT NULL"
            " ORDER BY device_id",
            (list(protocols),),
        )
        rows = await cursor.fetchall()
    return [
        ReachableTerminal(
            Terminal(str(d), str(p), Direction(direction), zone_named(str(zone))),
            str(protocol),
            str(address),
            str(user),
            str(secret),
        )
        for d, p, direction, zone, protocol, address, user, secret in rows
    ]


def zone_named(name: str) -> ZoneInfo:
    """The zone, or Shanghai for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return _SHANGHAI
