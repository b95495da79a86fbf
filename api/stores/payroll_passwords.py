"""Payroll officers' security passwords (安全密码): the only writer of ``payroll_passwords``."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from api.auth.passwords import check_new_password, hashed


async def set_payroll_password(conn: AsyncConnection[Any], user_id: int, password: str) -> None:
    check_new_password(password, field="security_password")
    await conn.execute(
        "INSERT INTO payroll_passwords (user_id, password_hash) VALUES (%s, %s)"
        " ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,"
        " set_at = now()",
        (user_id, await hashed(password)),
    )


async def payroll_password_hash(conn: AsyncConnection[Any], user_id: int) -> str | None:
    """The officer's stored hash; None when they have not set a security password yet."""
    cursor = await conn.execute(
        "SELECT password_hash FROM payroll_passwords WHERE user_id = %s", (user_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else str(row[0])
