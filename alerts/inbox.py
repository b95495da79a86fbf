"""The worker app's inbox (消息通知): notices kept on the server, read or unread, and the
kinds of notice each worker has turned off. This module owns ``worker_notices`` and
``worker_notice_settings``.

Notices are written by the notification task (synchronous psycopg, in the Celery worker)
and read by the API (asynchronous); each is recorded once per ``source`` (``alert:12:opened``)
however often its delivery is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, Connection

from alerts.audience import NoticeKind


@dataclass(frozen=True)
class Notice:
    notice_id: int
    kind: str
    title_zh: str
    body_zh: str
    project_id: str | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class InboxPage:
    total: int
    unread: int
    notices: list[Notice]


def muted_kinds(conn: Connection[Any], worker_id: int) -> set[str]:
    row = conn.execute(
        "SELECT muted FROM worker_notice_settings WHERE worker_id = %s", (worker_id,)
    ).fetchone()
    return set(row[0]) if row else set()


def record_notice(
    conn: Connection[Any],
    worker_id: int,
    *,
    kind: NoticeKind,
    source: str,
    title_zh: str,
    body_zh: str = "",
    project_id: str | None = None,
) -> int:
    """Keep a notice for the worker (once per ``source``); returns its id."""
    row = conn.execute(
        "INSERT INTO worker_notices (worker_id, kind, source, title_zh, body_zh, project_id)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (worker_id, source) DO UPDATE SET source = EXCLUDED.source"
        " RETURNING notice_id",
        (worker_id, kind.value, source, title_zh[:200], body_zh[:2000], project_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


async def inbox_page(
    conn: AsyncConnection[Any], worker_id: int, *, unread_only: bool, offset: int, limit: int
) -> InboxPage:
    """The newest notices first, with the total and the unread count over all of them."""
    cursor = await conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE read_at IS NULL) FROM worker_notices"
        " WHERE worker_id = %s",
        (worker_id,),
    )
    total, unread = await cursor.fetchone() or (0, 0)
    cursor = await conn.execute(
        "SELECT notice_id, kind, title_zh, body_zh, project_id, created_at, read_at"
        " FROM worker_notices WHERE worker_id = %s AND (NOT %s OR read_at IS NULL)"
        " ORDER BY notice_id DESC OFFSET %s LIMIT %s",
        (worker_id, unread_only, offset, limit),
    )
    notices = [Notice(*row) for row in await cursor.fetchall()]
    return InboxPage(total=unread if unread_only else total, unread=unread, notices=notices)


async def mark_read(
    conn: AsyncConnection[Any], worker_id: int, notice_ids: list[int] | None
) -> int:
    """Mark these notices (or, with None, all) read; returns how many were unread."""
    cursor = await conn.execute(
        "UPDATE worker_notices SET read_at = now() WHERE worker_id = %s AND read_at IS NULL"
        " AND (%s::bigint[] IS NULL OR notice_id = ANY(%s::bigint[]))",
        (worker_id, notice_ids, notice_ids),
    )
    return cursor.rowcount


async def notice_settings(conn: AsyncConnection[Any], worker_id: int) -> list[str]:
    cursor = await conn.execute(
        "SELECT muted FROM worker_notice_settings WHERE worker_id = %s", (worker_id,)
    )
    row = await cursor.fetchone()
    return sorted(row[0]) if row else []


async def save_notice_settings(
    conn: AsyncConnection[Any], worker_id: int, muted: list[NoticeKind]
) -> list[str]:
    kinds = sorted({kind.value for kind in muted})
    await conn.execute(
        "INSERT INTO worker_notice_settings (worker_id, muted) VALUES (%s, %s)"
        " ON CONFLICT (worker_id) DO UPDATE SET muted = EXCLUDED.muted, updated_at = now()",
        (worker_id, kinds),
    )
    return kinds
