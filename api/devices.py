"""Device provisioning in the registry (the API endpoints for it arrive with issue 3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg


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
