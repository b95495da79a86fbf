"""People on the terminals (人员下发): what each terminal must hold is its project's gate
roster (``gate_roster``: the active roster, less whoever lacks a safety training the
project requires for access), each worker with their card (发卡) and face picture; what it
holds is what it acknowledged. Each sync reconciles the two into queued commands (add
the missing, add again who has another card or a newer face, remove the departed), hands
out a few, and takes the terminal's results. A terminal knows a worker by the worker id,
its person number. A command sent and not acknowledged, or refused, is tried again after
``resend_after``; nothing is lost if a terminal is offline for a week.

Ingest owns ``device_commands``; it reads the roster (``gate_roster``, ``workers``,
``face_photos``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection


@dataclass(frozen=True)
class Command:
    command_id: int
    action: str  # add (or update), remove
    worker_id: int
    name: str
    card_number: str | None  # the card it carries (发卡), if any
    face_at: datetime | None  # when the face photo it carries was taken, if any


async def reconcile(
    conn: AsyncConnection[Any], device_id: str, project_id: str, *, resend_after: timedelta
) -> int:
    """Queue what the terminal lacks, holds out of date (another card, a newer face) or must
    drop; returns how many commands were queued."""
    cursor = await conn.execute(
        "WITH latest AS (SELECT DISTINCT ON (worker_id) worker_id, state, done_at"
        "  FROM device_commands WHERE device_id = %(d)s ORDER BY worker_id, command_id DESC),"
        " settled AS (SELECT DISTINCT ON (worker_id) worker_id, action, card_number, face_at"
        "  FROM device_commands WHERE device_id = %(d)s AND state = 'done'"
        "  ORDER BY worker_id, command_id DESC),"
        " held AS (SELECT * FROM settled WHERE action = 'add'),"
        " busy AS (SELECT worker_id FROM latest WHERE state IN ('queued', 'sent')"
        "  OR (state = 'failed' AND done_at > now() - %(again)s)),"
        " roster AS (SELECT DISTINCT m.worker_id, w.card_number, f.taken_at AS face_at"
        "  FROM gate_roster m JOIN workers w ON w.worker_id = m.worker_id"
        "  LEFT JOIN face_photos f ON f.worker_id = m.worker_id"
        "  WHERE m.project_id = %(p)s)"
        " INSERT INTO device_commands (device_id, worker_id, action, card_number, face_at)"
        " SELECT %(d)s, r.worker_id, 'add', r.card_number, r.face_at FROM roster r"
        "  WHERE r.worker_id NOT IN (SELECT worker_id FROM busy) AND NOT EXISTS"
        "  (SELECT 1 FROM held h WHERE h.worker_id = r.worker_id"
        "   AND h.card_number IS NOT DISTINCT FROM r.card_number"
        "   AND h.face_at IS NOT DISTINCT FROM r.face_at)"
        " UNION ALL SELECT %(d)s, worker_id, 'remove', NULL, NULL FROM held"
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
        " RETURNING c.command_id, c.action, c.worker_id, w.name, c.card_number, c.face_at",
        {"d": device_id, "n": limit, "again": resend_after},
    )
    rows = await cursor.fetchall()
    commands = [
        Command(int(i), str(a), int(w), str(n), card, face) for i, a, w, n, card, face in rows
    ]
    return sorted(commands, key=lambda command: command.command_id)


async def face_photos(conn: AsyncConnection[Any], commands: list[Command]) -> dict[int, bytes]:
    """The face picture of each worker an add carries one for (a worker enrolled again
    since is sent the newer one; the next sync notices and sends it again anyway)."""
    wanted = [c.worker_id for c in commands if c.action == "add" and c.face_at is not None]
    if not wanted:
        return {}
    cursor = await conn.execute(
        "SELECT worker_id, photo FROM face_photos WHERE worker_id = ANY(%s)", (wanted,)
    )
    return {int(worker): bytes(photo) for worker, photo in await cursor.fetchall()}


async def record_results(
    conn: AsyncConnection[Any], device_id: str, results: list[tuple[int, int]]
) -> int:
    """The terminal's answers, (command id, return code): 0 is done, anything else failed
    (and is tried again later). Returns how many commands of this terminal they settled."""
    if not results:
        return 0
    worst: dict[int, int] = {}
    for command_id, code in results:  # a command of several lines is done when all are
        worst[command_id] = worst.get(command_id, 0) or code
    results = list(worst.items())
    cursor = await conn.execute(
        "UPDATE device_commands c SET state = CASE WHEN r.code = 0 THEN 'done' ELSE 'failed'"
        " END, return_code = r.code, done_at = now()"
        " FROM unnest(%s::bigint[], %s::int[]) AS r (command_id, code)"
        " WHERE c.command_id = r.command_id AND c.device_id = %s AND c.state = 'sent'",
        ([i for i, _ in results], [code for _, code in results], device_id),
    )
    return cursor.rowcount
