"""Accounts: argon2 password hashes, login, first-login password change, worker accounts."""

from __future__ import annotations

import contextlib
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection

from api.identity import check_new_password
from api.principal import SCOPE_OF_ROLE, Principal, Role, ScopeKind
from infra.errors import AuthenticationError, ConflictError, FieldProblem, InvalidInputError

_HASHER = PasswordHasher()
_WRONG = "wrong login or password"  # one message for both, so logins cannot be probed


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    conn: AsyncConnection[Any],
    *,
    login: str,
    password: str,
    role: Role,
    scope_id: str,
    worker_id: int | None = None,
    must_change_password: bool = True,
) -> int:
    scope_kind = SCOPE_OF_ROLE[role]
    cursor = await conn.execute(
        "INSERT INTO users (login, password_hash, role, scope_kind, scope_id, worker_id,"
        " must_change_password) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (login) DO NOTHING RETURNING user_id",
        (
            login,
            hash_password(password),
            role.value,
            scope_kind.value,
            scope_id,
            worker_id,
            must_change_password,
        ),
    )
    row = await cursor.fetchone()
    if row is None:
        raise ConflictError("that login is taken")
    return int(row[0])


async def create_worker_account(
    conn: AsyncConnection[Any], *, worker_id: int, id_number: str
) -> int:
    """As the seeds describe: login is the ID number, initial password its last six."""
    return await create_user(
        conn,
        login=id_number,
        password=id_number[-6:],
        role=Role.WORKER,
        scope_id=str(worker_id),
        worker_id=worker_id,
        must_change_password=True,
    )


def _principal(row: tuple[Any, ...]) -> Principal:
    user_id, login, role, scope_kind, scope_id, must_change = row[:6]
    return Principal(
        int(user_id), login, Role(role), ScopeKind(scope_kind), scope_id, bool(must_change)
    )


_USER_COLUMNS = "user_id, login, role, scope_kind, scope_id, must_change_password, password_hash"


async def authenticate(conn: AsyncConnection[Any], login: str, password: str) -> Principal:
    """Check a login. A registered worker without an account yet logs in with the initial
    password (last six ID characters) and gets the account then, as the seeds describe;
    storing hashes of such guessable passwords in advance would protect nothing."""
    name = login.strip().upper() if _looks_like_id(login) else login.strip()
    cursor = await conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE login = %s AND disabled_at IS NULL", (name,)
    )
    row = await cursor.fetchone()
    if row is None and _looks_like_id(name) and password == name[-6:]:
        row = await _first_worker_login(conn, name)
    if row is None or not password_matches(row[6], password):
        raise AuthenticationError(_WRONG)
    return _principal(row)


async def _first_worker_login(conn: AsyncConnection[Any], id_number: str) -> tuple[Any, ...] | None:
    cursor = await conn.execute("SELECT worker_id FROM workers WHERE id_number = %s", (id_number,))
    worker = await cursor.fetchone()
    if worker is None:
        return None
    with contextlib.suppress(ConflictError):  # a concurrent first login created it
        await create_worker_account(conn, worker_id=int(worker[0]), id_number=id_number)
    cursor = await conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE login = %s", (id_number,))
    return await cursor.fetchone()


def _looks_like_id(login: str) -> bool:
    text = login.strip()
    return len(text) == 18 and text[:17].isdigit()


async def change_password(
    conn: AsyncConnection[Any], principal: Principal, old_password: str, new_password: str
) -> Principal:
    check_new_password(new_password)
    if new_password == old_password:
        same = FieldProblem(
            "new_password", "must differ from the old one", "新密码不能与旧密码相同"
        )
        raise InvalidInputError([same])
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT password_hash FROM users WHERE user_id = %s FOR UPDATE", (principal.user_id,)
        )
        row = await cursor.fetchone()
        if row is None or not password_matches(row[0], old_password):
            raise AuthenticationError("the old password is wrong")
        await conn.execute(
            "UPDATE users SET password_hash = %s, must_change_password = false WHERE user_id = %s",
            (hash_password(new_password), principal.user_id),
        )
        await conn.execute(
            "INSERT INTO audit_log (actor, action, entity, entity_id)"
            " VALUES (%s, 'user.password', 'user', %s)",
            (
                principal.login
                if principal.role is not Role.WORKER
                else f"worker:{principal.scope_id}",
                str(principal.user_id),
            ),
        )
    return Principal(
        principal.user_id,
        principal.login,
        principal.role,
        principal.scope_kind,
        principal.scope_id,
        must_change_password=False,
    )
