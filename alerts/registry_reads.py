"""What the alert rules read from the registry (PostgreSQL) beyond the project list: the
key positions held in a period. Read-only; the registry's tables are owned by ``api``."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection


async def key_position_holders(
    conn: AsyncConnection[Any], project_id: str, first: date, last: date
) -> list[dict[str, Any]]:
    """Key positions held at some time in [first, last] (approved, not exited before)."""
    return (await key_position_holders_of(conn, [project_id], first, last)).get(project_id, [])


async def key_position_holders_of(
    conn: AsyncConnection[Any], project_ids: list[str], first: date, last: date
) -> dict[str, list[dict[str, Any]]]:
    """The same for many projects in one query, by project."""
    cursor = await conn.execute(
        "SELECT k.project_id, k.position, k.worker_id::text, w.name FROM key_positions k"
        " JOIN workers w ON w.worker_id = k.worker_id"
        " WHERE k.project_id = ANY(%s) AND k.status IN ('active', 'pending_exit', 'exited')"
        " AND k.entry_decided_at::date <= %s"
        " AND (k.exit_decided_at IS NULL OR k.exit_decided_at::date >= %s)"
        " ORDER BY k.project_id, k.position",
        (project_ids, last, first),
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for project, position, worker, name in await cursor.fetchall():
        found.setdefault(project, []).append(
            {"position": position, "worker_id": worker, "name": name}
        )
    return found
