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
