"""Projects' clock-in fences and the clock-ins accepted at them. Owns ``project_geofences``
and ``mobile_clock_ins``; an accepted clock-in's pass goes to ``gate.passes`` through the
outbox, in the same transaction (never one without the other)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from api.mobile.geofence import Fence, Point
from api.stores.audit import audit
from api.stores.outbox import record_pass
from streams.records import PassEvent


@dataclass(frozen=True)
class ProjectFence:
    project_id: str
    enabled: bool
    fence: Fence
    max_accuracy_m: int
    updated_at: datetime


async def fence_of(conn: AsyncConnection[Any], project_id: str) -> ProjectFence | None:
    cursor = await conn.execute(
        "SELECT project_id, enabled, center_lat, center_lng, radius_m, polygon,"
        " max_accuracy_m, updated_at FROM project_geofences WHERE project_id = %s",
        (project_id,),
    )
    row = await cursor.fetchone()
    return _fence(row) if row else None


async def fences_of(conn: AsyncConnection[Any], project_ids: list[str]) -> list[ProjectFence]:
    cursor = await conn.execute(
        "SELECT project_id, enabled, center_lat, center_lng, radius_m, polygon,"
        " max_accuracy_m, updated_at FROM project_geofences WHERE project_id = ANY(%s)"
        " ORDER BY project_id",
        (project_ids,),
    )
    return [_fence(row) for row in await cursor.fetchall()]


def _fence(row: tuple[Any, ...]) -> ProjectFence:
    project_id, enabled, lat, lng, radius, polygon, accuracy, updated_at = row
    fence = (
        Fence(polygon=tuple((float(p[0]), float(p[1])) for p in polygon))
        if polygon
        else Fence(center=(float(lat), float(lng)), radius_m=float(radius))
    )
    return ProjectFence(project_id, bool(enabled), fence, int(accuracy), updated_at)


async def save_fence(
    conn: AsyncConnection[Any],
    project_id: str,
    *,
    enabled: bool,
    center: Point | None,
    radius_m: int | None,
    polygon: list[Point] | None,
    max_accuracy_m: int,
    actor: str,
) -> ProjectFence:
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO project_geofences (project_id, enabled, center_lat, center_lng,"
            " radius_m, polygon, max_accuracy_m, updated_by) VALUES (%s, %s, %s, %s, %s, %s,"
            " %s, %s) ON CONFLICT (project_id) DO UPDATE SET enabled = EXCLUDED.enabled,"
            " center_lat = EXCLUDED.center_lat, center_lng = EXCLUDED.center_lng,"
            " radius_m = EXCLUDED.radius_m, polygon = EXCLUDED.polygon,"
            " max_accuracy_m = EXCLUDED.max_accuracy_m, updated_by = EXCLUDED.updated_by,"
            " updated_at = now()",
            (
                project_id,
                enabled,
                center[0] if center else None,
                center[1] if center else None,
                radius_m,
                json.dumps(polygon) if polygon else None,
                max_accuracy_m,
                actor,
            ),
        )
        await audit(
            conn,
            actor=actor,
            action="project.clock_in_fence",
            entity="project",
            entity_id=project_id,
            detail={"enabled": enabled, "radius_m": radius_m, "corners": len(polygon or [])},
        )
    found = await fence_of(conn, project_id)
    assert found is not None
    return found


async def is_on_roster(conn: AsyncConnection[Any], worker_id: int, project_id: str) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM memberships WHERE worker_id = %s AND project_id = %s AND status = 'active'",
        (worker_id, project_id),
    )
    return await cursor.fetchone() is not None


async def projects_on_roster(conn: AsyncConnection[Any], worker_id: int) -> list[tuple[str, str]]:
    """(project_id, name) of the projects the worker is on the roster of."""
    cursor = await conn.execute(
        "SELECT p.project_id, p.name FROM memberships m JOIN projects p USING (project_id)"
        " WHERE m.worker_id = %s AND m.status = 'active' ORDER BY p.project_id",
        (worker_id,),
    )
    return [(str(r[0]), str(r[1])) for r in await cursor.fetchall()]


async def last_clock_in(
    conn: AsyncConnection[Any], worker_id: int, project_id: str
) -> datetime | None:
    cursor = await conn.execute(
        "SELECT max(created_at) FROM mobile_clock_ins WHERE worker_id = %s AND project_id = %s",
        (worker_id, project_id),
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def record_clock_in(
    conn: AsyncConnection[Any],
    event: PassEvent,
    *,
    point: Point,
    accuracy_m: float,
    face_score: float,
) -> None:
    """The clock-in and its pass, in one transaction."""
    assert event.worker_id is not None
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO mobile_clock_ins (worker_id, project_id, direction, event_id, latitude,"
            " longitude, accuracy_m, face_score, occurred_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                int(event.worker_id),
                event.project_id,
                event.direction.value,
                event.event_id,
                point[0],
                point[1],
                accuracy_m,
                face_score,
                event.occurred_at,
            ),
        )
        await record_pass(conn, event)
