"""The audit log: every registry write records who did it, to what, and why."""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection


async def audit(
    conn: AsyncConnection[Any],
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, entity, entity_id, reason, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (actor, action, entity, entity_id, reason, json.dumps(detail or {}, ensure_ascii=False)),
    )
