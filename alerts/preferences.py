"""Each staff account's notification preferences (the ``notification_preferences`` table):
channels, addresses and quiet hours. Written here only; :mod:`alerts.recipients` reads them
when an alert goes out."""

from __future__ import annotations

from datetime import time
from typing import Any

from psycopg import AsyncConnection

_SELECT = "SELECT channels, email, phone, quiet_start, quiet_end FROM notification_preferences"


def _view(row: tuple[Any, ...] | None) -> dict[str, Any]:
    if row is None:
        return {
            "channels": [],
            "email": None,
            "phone": None,
            "quiet_start": None,
            "quiet_end": None,
        }
    channels, email, phone, start, end = row
    return {
        "channels": list(channels),
        "email": email,
        "phone": phone,
        "quiet_start": start.strftime("%H:%M") if start else None,
        "quiet_end": end.strftime("%H:%M") if end else None,
    }


async def load_preferences(conn: AsyncConnection[Any], user_id: int) -> dict[str, Any]:
    """The account's preferences (nothing chosen yet: no channels)."""
    cursor = await conn.execute(f"{_SELECT} WHERE user_id = %s", (user_id,))
    return _view(await cursor.fetchone())


async def save_preferences(
    conn: AsyncConnection[Any],
    user_id: int,
    *,
    channels: list[str],
    email: str | None,
    phone: str | None,
    quiet_start: time | None,
    quiet_end: time | None,
) -> dict[str, Any]:
    """Replace the account's preferences; returns them as stored."""
    await conn.execute(
        "INSERT INTO notification_preferences"
        " (user_id, channels, email, phone, quiet_start, quiet_end)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET"
        " channels = EXCLUDED.channels, email = EXCLUDED.email, phone = EXCLUDED.phone,"
        " quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end,"
        " updated_at = now()",
        (user_id, channels, email, phone, quiet_start, quiet_end),
    )
    return await load_preferences(conn, user_id)
