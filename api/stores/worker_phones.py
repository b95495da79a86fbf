"""Workers' bound phones. Owns ``worker_phones``: the number sealed, a keyed digest to find
it (logging in with the phone), and the masked form to show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.identity import mask_mobile, validate_mobile
from api.payroll.sealing import DataSealer
from api.stores.audit import audit
from infra.errors import ConflictError, InvalidInputError


class BoundPhone(BaseModel):
    phone_masked: str | None
    bound_at: datetime | None


async def bound_phone(conn: AsyncConnection[Any], worker_id: int) -> BoundPhone:
    cursor = await conn.execute(
        "SELECT phone_masked, bound_at FROM worker_phones WHERE worker_id = %s", (worker_id,)
    )
    masked, bound_at = await cursor.fetchone() or (None, None)
    return BoundPhone(phone_masked=masked, bound_at=bound_at)


async def refuse_taken(
    conn: AsyncConnection[Any], sealer: DataSealer, worker_id: int, phone: str
) -> None:
    """409 when another worker has bound this phone."""
    cursor = await conn.execute(
        "SELECT worker_id FROM worker_phones WHERE phone_digest = %s", (sealer.digest(phone),)
    )
    row = await cursor.fetchone()
    if row is not None and int(row[0]) != worker_id:
        raise ConflictError(
            "the phone is bound to another account", message_zh="该手机号已被其他账号绑定"
        )


async def bind_phone(
    conn: AsyncConnection[Any], sealer: DataSealer, worker_id: int, phone: str
) -> BoundPhone:
    """Bind (or rebind) the worker's phone, once its SMS code was proven."""
    async with conn.transaction():
        await refuse_taken(conn, sealer, worker_id, phone)
        await conn.execute(
            "INSERT INTO worker_phones (worker_id, phone_sealed, phone_digest, phone_masked)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (worker_id) DO UPDATE SET"
            " phone_sealed = EXCLUDED.phone_sealed, phone_digest = EXCLUDED.phone_digest,"
            " phone_masked = EXCLUDED.phone_masked, bound_at = now()",
            (worker_id, sealer.seal(phone), sealer.digest(phone), mask_mobile(phone)),
        )
        await audit(
            conn,
            actor=f"worker:{worker_id}",
            action="worker.phone_bound",
            entity="worker",
            entity_id=str(worker_id),
            detail={"phone": mask_mobile(phone)},
        )
    return await bound_phone(conn, worker_id)


async def login_of_phone(conn: AsyncConnection[Any], sealer: DataSealer, phone: str) -> str | None:
    """The account login (the ID number) of the worker who bound this phone."""
    cursor = await conn.execute(
        "SELECT u.login FROM worker_phones p JOIN users u ON u.scope_kind = 'worker'"
        " AND u.scope_id = p.worker_id::text WHERE p.phone_digest = %s",
        (sealer.digest(phone),),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row else None


async def resolve_login(conn: AsyncConnection[Any], sealer: DataSealer, login: str) -> str:
    """The account login to check: an ID number (or staff login) as given, or, for a
    mobile number, the ID number of the worker who bound it (the number itself when none
    has, which then matches no account)."""
    try:
        phone = validate_mobile(login, field="login")
    except InvalidInputError:
        return login
    return await login_of_phone(conn, sealer, phone) or login
