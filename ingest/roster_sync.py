"""People on the terminals (人员下发): what each terminal must hold is its project's active
roster; what it holds is what it acknowledged. Each poll reconciles the two into queued
commands (add the missing, remove the departed), hands out a few, and takes the
terminal's results. A command sent and not acknowledged, or refused, is tried again after
``resend_after``; nothing is lost if a terminal is offline for a week.

Ingest owns ``device_commands``; it reads the roster (``memberships``, ``workers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection


@dataclass(frozen=True)
class Command:
    command_id: int
    action: str  # add, remove
    worker_id: int
    name: str


async def reconcile(
    conn: AsyncConnection[Any], device_id: str, project_id: str, *, resend_after: timedelta
) -> int:
    """Queue what the terminal lacks or must drop; returns how many commands were queued."""
    cursor = await conn.execute(
        "WITH latest AS (SELECT DISTINCT ON (worker_id) worker_id, action, state, done_at"
        "  FROM device_commands WHERE device_id = %(d)s ORDER BY worker_id, command_id DESC),"
        " held AS (SELECT worker_id FROM latest WHERE action = 'add' AND state = 'done'),"
        " busy AS (SELECT worker_id FROM latest WHERE state IN ('queued', 'sent')"
        "  OR (state = 'failed' AND done_at > now() - %(again)s)),"
        " roster AS (SELECT worker_id FROM memberships"
        "  WHERE project_id = %(p)s AND status = 'active')"
        " INSERT INTO device_commands (device_id, worker_id, action)"
        " SELECT %(d)s, worker_id, 'add' FROM roster"
        "  WHERE worker_id NOT IN (SELECT worker_id FROM held)"
        "  AND worker_id NOT IN (SELECT worker_id FROM busy)"
        " UNION ALL SELECT %(d)s, worker_id, 'remove' FROM held"
        "  WHERE worker_id NOT IN (SELECT worker_id FROM roster)"
        "  AND worker_id NOT IN (SELECT worker_id FROM busy)",
        {"d": device_id, "p": project_id, "again": resend_after},
    )
    return cursor.rowcount


async def take_commands(
    conn: AsyncConnection[Any], device_id: str, *, limit: int, resend_after: timedelta
) -> list[Command]:
    """The next commands for this poll (queued, or sent long ago and never answered),
    marked sent."""
    cursor = await conn.execute(
        "UPDATE device_commands c SET state = 'sent', sent_at = now(),"
        " attempts = c.attempts + 1 FROM workers w"
        " WHERE w.worker_id = c.worker_id AND c.command_id IN ("
        "  SELECT command_id FROM device_commands WHERE device_id = %(d)s"
        "  AND (state = 'queued' OR (state = 'sent' AND sent_at < now() - %(again)s))"
        "  ORDER BY command_id LIMIT %(n)s FOR UPDATE SKIP LOCKED)"
        " RETURNING c.command_id, c.action, c.worker_id, w.name",
        {"d": device_id, "n": limit, "again": resend_after},
    )
    rows = await cursor.fetchall()
    commands = [Command(int(i), str(a), int(w), str(n)) for i, a, w, n in rows]
    return sorted(commands, key=lambda command: command.command_id)


async def record_results(
    conn: AsyncConnection[Any], device_id: str, results: list[tuple[int, int]]
) -> int:
    """The terminal's answers, (command id, return code): 0 is done, anything else failed
    (and is tried again later). Returns how many commands of this terminal they settled."""
    if not results:
        return 0
    cursor = await conn.execute(
        "UPDATE device_commands c SET state = CASE WHEN r.code = 0 THEN 'done' ELSE 'failed'"
        " END, return_code = r.code, done_at = now()"
        " FROM unnest(%s::bigint[], %s::int[]) AS r (command_id, code)"
        " WHERE c.command_id = r.command_id AND c.device_id = %s AND c.state = 'sent'",
        ([i for i, _ in results], [code for _, code in results], device_id),
    )
    return cursor.rowcount
