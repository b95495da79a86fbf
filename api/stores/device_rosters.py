"""People on the terminals (人员下发), as the API shows them: per terminal, how many roster
workers it lacks (or holds with an old card or face), holds after they left, or has in
flight, and who. Read-only: ``device_commands`` is written by ingest as terminals sync."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from api.stores.rows import reading


class RosterGap(BaseModel):
    device_id: str
    protocol: str
    lacking: int = Field(
        description="roster workers the terminal has not acknowledged, or holds with an old"
        " card or face"
    )
    extra: int = Field(description="departed workers the terminal still holds")
    in_flight: int = Field(description="commands queued or sent, not yet answered")


#: The terminals SitePulse sends the roster to: ZKTeco ones take it when they poll, and
#: Hikvision and Dahua ones are called where they have an address. (HTTPv2 terminals, and
#: SitePulse's own gates, which match in the cloud, are not sent people.)
TAKES_THE_ROSTER = (
    "(protocol = 'zkteco' OR (protocol IN ('hikvision', 'dahua') AND address IS NOT NULL))"
)


async def roster_gaps(conn: AsyncConnection[Any], project_id: str) -> list[RosterGap]:
    return await roster_gaps_of_projects(conn, [project_id])


async def roster_gaps_of_projects(
    conn: AsyncConnection[Any], project_ids: list[str]
) -> list[RosterGap]:
    """For each terminal of the projects that takes the roster, what it still lacks
    (人员下发): read from ``device_commands``, which ingest writes as terminals sync."""
    cursor = await conn.execute(
        "WITH terminals AS (SELECT device_id, project_id, protocol FROM devices"
        f"  WHERE project_id = ANY(%(p)s) AND {TAKES_THE_ROSTER} AND disabled_at IS NULL),"
        " settled AS (SELECT DISTINCT ON (device_id, worker_id) device_id, worker_id, action,"
        "  card_number, face_at FROM device_commands WHERE state = 'done'"
        "  AND device_id IN (SELECT device_id FROM terminals)"
        "  ORDER BY device_id, worker_id, command_id DESC),"
        " roster AS (SELECT DISTINCT m.project_id, m.worker_id, w.card_number,"
        "  f.taken_at AS face_at FROM gate_roster m JOIN workers w ON w.worker_id = m.worker_id"
        "  LEFT JOIN face_photos f ON f.worker_id = m.worker_id"
        "  WHERE m.project_id = ANY(%(p)s)),"
        " open AS (SELECT device_id, count(*) AS n FROM device_commands"
        "  WHERE state IN ('queued', 'sent') AND device_id IN (SELECT device_id FROM terminals)"
        "  GROUP BY device_id)"
        " SELECT d.device_id, d.protocol,"
        " (SELECT count(*) FROM roster r WHERE r.project_id = d.project_id AND NOT EXISTS"
        "   (SELECT 1 FROM settled s WHERE s.device_id = d.device_id"
        "   AND s.worker_id = r.worker_id AND s.action = 'add'"
        "   AND s.card_number IS NOT DISTINCT FROM r.card_number"
        "   AND s.face_at IS NOT DISTINCT FROM r.face_at)),"
        " (SELECT count(*) FROM settled s WHERE s.device_id = d.device_id AND s.action = 'add'"
        "   AND s.worker_id NOT IN"
        "   (SELECT worker_id FROM roster r WHERE r.project_id = d.project_id)),"
        " coalesce(o.n, 0)"
        " FROM terminals d LEFT JOIN open o ON o.device_id = d.device_id ORDER BY d.device_id",
        {"p": project_ids},
    )
    return [
        RosterGap(device_id=d, protocol=p, lacking=a, extra=b, in_flight=c)
        for d, p, a, b, c in await cursor.fetchall()
    ]


class RosterGapWorker(BaseModel):
    worker_id: int
    name: str
    gap: str = Field(description="lacking: not on the terminal as they should be; extra: left")
    state: str | None = Field(description="the last command's: queued, sent, done, failed")
    attempts: int
    return_code: int | None = Field(description="the terminal's answer to the last command")
    sent_at: datetime | None


async def roster_gap_workers(
    conn: AsyncConnection[Any], device_id: str, limit: int = 500
) -> list[RosterGapWorker]:
    """Who a terminal still lacks (or holds with an old card or face), and who it holds
    that left the project, each with where their last command stands."""
    cursor = await reading(conn, RosterGapWorker).execute(
        "WITH settled AS (SELECT DISTINCT ON (worker_id) worker_id, action, card_number,"
        "  face_at FROM device_commands WHERE device_id = %(d)s AND state = 'done'"
        "  ORDER BY worker_id, command_id DESC),"
        " latest AS (SELECT DISTINCT ON (worker_id) worker_id, state, attempts, return_code,"
        "  sent_at FROM device_commands WHERE device_id = %(d)s"
        "  ORDER BY worker_id, command_id DESC),"
        " roster AS (SELECT DISTINCT m.worker_id, w.card_number, f.taken_at AS face_at"
        "  FROM devices d JOIN gate_roster m ON m.project_id = d.project_id"
        "  JOIN workers w ON w.worker_id = m.worker_id"
        "  LEFT JOIN face_photos f ON f.worker_id = m.worker_id"
        "  WHERE d.device_id = %(d)s),"
        " gaps AS (SELECT r.worker_id, 'lacking' AS gap FROM roster r WHERE NOT EXISTS"
        "  (SELECT 1 FROM settled s WHERE s.worker_id = r.worker_id AND s.action = 'add'"
        "   AND s.card_number IS NOT DISTINCT FROM r.card_number"
        "   AND s.face_at IS NOT DISTINCT FROM r.face_at)"
        "  UNION ALL SELECT s.worker_id, 'extra' FROM settled s WHERE s.action = 'add'"
        "  AND s.worker_id NOT IN (SELECT worker_id FROM roster))"
        " SELECT g.worker_id, w.name, g.gap, l.state, coalesce(l.attempts, 0) AS attempts,"
        " l.return_code, l.sent_at FROM gaps g JOIN workers w ON w.worker_id = g.worker_id"
        " LEFT JOIN latest l ON l.worker_id = g.worker_id"
        " ORDER BY g.gap, g.worker_id LIMIT %(n)s",
        {"d": device_id, "n": limit},
    )
    return await cursor.fetchall()
