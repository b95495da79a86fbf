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
    cursor = await conn.execute(
        "SELECT k.position, k.worker_id::text, w.name FROM key_positions k"
        " JOIN workers w ON w.worker_id = k.worker_id"
        " WHERE k.project_id = %s AND k.status IN ('active', 'pending_exit', 'exited')"
        " AND k.entry_decided_at::date <= %s"
        " AND (k.exit_decided_at IS NULL OR k.exit_decided_at::date >= %s)"
        " ORDER BY k.position",
        (project_id, last, first),
    )
    return [
        {"position": row[0], "worker_id": row[1], "name": row[2]} for row in await cursor.fetchall()
    ]
