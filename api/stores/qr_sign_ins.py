"""Pre-shift QR sign-ins. Owns ``qr_sign_ins``; each sign-in's pass (``method: qr``) goes to
``gate.passes`` through the outbox in the same transaction. A used code is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation

from api.mobile.geofence import Point
from api.stores.outbox import record_pass
from infra.errors import FieldProblem, InvalidInputError
from streams.records import PassEvent


async def last_sign_in(
    conn: AsyncConnection[Any], worker_id: int, project_id: str
) -> datetime | None:
    cursor = await conn.execute(
        "SELECT max(signed_in_at) FROM qr_sign_ins WHERE worker_id = %s AND project_id = %s",
        (worker_id, project_id),
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def code_used(conn: AsyncConnection[Any], nonce: str, worker_id: int) -> bool:
    """Whether this code signed in this worker already (a worker's code: anyone)."""
    cursor = await conn.execute(
        "SELECT 1 FROM qr_sign_ins WHERE code_nonce = %s"
        " AND (scanned_by = 'officer' OR worker_id = %s)",
        (nonce, worker_id),
    )
    return await cursor.fetchone() is not None


def used_code() -> InvalidInputError:
    return InvalidInputError(
        [FieldProblem("code", "was used already", "二维码已使用，请刷新后重新扫描")]
    )


async def worker_name(conn: AsyncConnection[Any], worker_id: int) -> str:
    cursor = await conn.execute("SELECT name FROM workers WHERE worker_id = %s", (worker_id,))
    row = await cursor.fetchone()
    return str(row[0]) if row else ""


async def record_sign_in(
    conn: AsyncConnection[Any],
    event: PassEvent,
    *,
    nonce: str,
    scanned_by: str,
    actor: str,
    point: Point,
    accuracy_m: float,
) -> None:
    """The sign-in and its pass, in one transaction; a code already used is refused."""
    assert event.worker_id is not None
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO qr_sign_ins (worker_id, project_id, code_nonce, scanned_by, actor,"
                " event_id, latitude, longitude, accuracy_m, signed_in_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    int(event.worker_id),
                    event.project_id,
                    nonce,
                    scanned_by,
                    actor,
                    event.event_id,
                    point[0],
                    point[1],
                    accuracy_m,
                    event.occurred_at,
                ),
            )
            await record_pass(conn, event)
    except UniqueViolation:  # used meanwhile, by a concurrent scan
        raise used_code() from None
