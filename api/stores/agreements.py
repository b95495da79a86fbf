"""The user agreement (用户协议) accepted by each account, once per version. Owns
``user_agreements``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection


async def accepted_at(conn: AsyncConnection[Any], user_id: int, version: str) -> datetime | None:
    cursor = await conn.execute(
        "SELECT accepted_at FROM user_agreements WHERE user_id = %s AND version = %s",
        (user_id, version),
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def accept(conn: AsyncConnection[Any], user_id: int, version: str) -> datetime:
    """Record the acceptance; accepting again keeps the first time."""
    await conn.execute(
        "INSERT INTO user_agreements (user_id, version) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (user_id, version),
    )
    when = await accepted_at(conn, user_id, version)
    assert when is not None
    return when
