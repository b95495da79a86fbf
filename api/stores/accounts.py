"""Accounts: argon2 password hashes, login, first-login password change, worker accounts."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from api.auth.passwords import (
    check_new_password,
    hashed,
    new_initial_password,
    verified,
)
from api.auth.principal import SCOPE_OF_ROLE, Principal, Role, ScopeKind
from infra.errors import (
    AuthenticationError,
    ConflictError,
    ExpiredCredentialError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
)

_WRONG = "wrong login or password"  # one message for both, so logins cannot be probed


async def create_user(
    conn: AsyncConnection[Any],
    *,
    login: str,
    password: str,
    role: Role,
    scope_id: str,
    worker_id: int | None = None,
    must_change_password: bool = True,
    password_expires_at: datetime | None = None,
) -> int:
    scope_kind = SCOPE_OF_ROLE[role]
    cursor = await conn.execute(
        "INSERT INTO users (login, password_hash, role, scope_kind, scope_id, worker_id,"
        " must_change_password, password_expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (login) DO NOTHING RETURNING user_id",
        (
            login,
            await hashed(password),
            role.value,
            scope_kind.value,
            scope_id,
            worker_id,
            must_change_password,
            password_expires_at,
        ),
    )
    row = await cursor.fetchone()
    if row is None:
        raise ConflictError("that login is taken")
    return int(row[0])


async def create_worker_account(
    conn: AsyncConnection[Any], *, worker_id: int, id_number: str, expires_at: datetime
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
        password_expires_at=expires_at,
    )


def _principal(row: tuple[Any, ...]) -> Principal:
    user_id, login, role, scope_kind, scope_id, must_change, _, version = row[:8]
    return Principal(
        int(user_id),
        login,
        Role(role),
        ScopeKind(scope_kind),
        scope_id,
        bool(must_change),
        token_version=int(version),
    )


_USER_COLUMNS = (
    "user_id, login, role, scope_kind, scope_id, must_change_password, password_hash,"
    " token_version, password_expires_at <= now()"
)


def _expired() -> ExpiredCredentialError:
    return ExpiredCredentialError(
        "the initial password has expired: ask the labour officer for a new one",
        message_zh="初始密码已过期，请联系劳资专管员重新发放",
    )


async def authenticate(
    conn: AsyncConnection[Any], login: str, password: str, *, initial_password_days: int = 30
) -> Principal:
    """Check a login. A registered worker without an account yet logs in with the initial
    password (last six ID characters) and gets the account then, as the seeds describe;
    storing hashes of such guessable passwords in advance would protect nothing. An initial
    password lasts ``initial_password_days`` from registration (or from being issued)."""
    name = login.strip().upper() if _looks_like_id(login) else login.strip()
    cursor = await conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE login = %s AND disabled_at IS NULL", (name,)
    )
    row = await cursor.fetchone()
    if row is None and _looks_like_id(name) and password == name[-6:]:
        row = await _first_worker_login(conn, name, timedelta(days=initial_password_days))
    if row is None or not await verified(row[6], password):
        raise AuthenticationError(_WRONG)
    must_change, expired = row[5], row[8]
    if must_change and expired:
        raise _expired()
    return _principal(row)


async def _now(conn: AsyncConnection[Any]) -> datetime:
    cursor = await conn.execute("SELECT now()")
    row = await cursor.fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


async def _first_worker_login(
    conn: AsyncConnection[Any], id_number: str, lasts: timedelta
) -> tuple[Any, ...] | None:
    cursor = await conn.execute(
        "SELECT worker_id, created_at FROM workers WHERE id_number = %s", (id_number,)
    )
    worker = await cursor.fetchone()
    if worker is None:
        return None
    with contextlib.suppress(ConflictError):  # a concurrent first login created it
        await create_worker_account(
            conn, worker_id=int(worker[0]), id_number=id_number, expires_at=worker[1] + lasts
        )
    cursor = await conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE login = %s", (id_number,))
    return await cursor.fetchone()


@dataclass(frozen=True)
class IssuedPassword:
    password: str  # shown once to the officer, stored only hashed
    expires_at: datetime
    user_id: int
    login: str


async def issue_initial_password(
    conn: AsyncConnection[Any], *, worker_id: int, lasts: timedelta
) -> IssuedPassword:
    """A new initial password for a worker (their account made if need be); it must be
    changed at the next login and ends after ``lasts``. Older tokens end."""
    cursor = await conn.execute("SELECT id_number FROM workers WHERE worker_id = %s", (worker_id,))
    worker = await cursor.fetchone()
    if worker is None:
        raise NotFoundError(f"worker {worker_id} does not exist")
    login = str(worker[0])
    password = new_initial_password()
    expires_at = await _now(conn) + lasts
    cursor = await conn.execute(
        "UPDATE users SET password_hash = %s, must_change_password = true,"
        " password_expires_at = %s, token_version = token_version + 1"
        " WHERE login = %s RETURNING user_id",
        (await hashed(password), expires_at, login),
    )
    row = await cursor.fetchone()
    user_id = (
        int(row[0])
        if row
        else await create_user(
            conn,
            login=login,
            password=password,
            role=Role.WORKER,
            scope_id=str(worker_id),
            worker_id=worker_id,
            password_expires_at=expires_at,
        )
    )
    return IssuedPassword(password, expires_at, user_id, login)


def _looks_like_id(login: str) -> bool:
    text = login.strip()
    return len(text) == 18 and text.isascii() and text[:17].isdigit()


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
        if row is None or not await verified(row[0], old_password):
            raise AuthenticationError("the old password is wrong")
        return await _set_password(conn, principal, new_password, action="user.password")


async def reset_password(
    conn: AsyncConnection[Any], principal: Principal, new_password: str
) -> Principal:
    """A new password for an account whose owner proved who they are another way (their
    live face); every token issued before ends."""
    check_new_password(new_password)
    async with conn.transaction():
        return await _set_password(conn, principal, new_password, action="user.password_reset")


async def _set_password(
    conn: AsyncConnection[Any], principal: Principal, new_password: str, *, action: str
) -> Principal:
    cursor = await conn.execute(
        "UPDATE users SET password_hash = %s, must_change_password = false,"
        " password_expires_at = NULL, token_version = token_version + 1"
        " WHERE user_id = %s RETURNING token_version",
        (await hashed(new_password), principal.user_id),
    )
    version = await cursor.fetchone()
    await conn.execute(
        "INSERT INTO audit_log (actor, action, entity, entity_id) VALUES (%s, %s, 'user', %s)",
        (
            principal.login
            if principal.role is not Role.WORKER
            else f"worker:{principal.scope_id}",
            action,
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
        token_version=int(version[0]) if version else principal.token_version + 1,
    )


async def worker_account(conn: AsyncConnection[Any], login: str) -> Principal | None:
    """The enabled worker account with this login (an ID number), if there is one."""
    name = login.strip().upper()
    cursor = await conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE login = %s AND role = 'worker'"
        " AND disabled_at IS NULL",
        (name,),
    )
    row = await cursor.fetchone()
    return _principal(row) if row else None


async def staff_account(conn: AsyncConnection[Any], user_id: int) -> tuple[str, Role, str]:
    """The login, role and scope of a staff account; 404 for workers' and unknown ones."""
    cursor = await conn.execute(
        "SELECT login, role, scope_id FROM users WHERE user_id = %s", (user_id,)
    )
    row = await cursor.fetchone()
    if row is None or row[1] == Role.WORKER.value:
        raise NotFoundError(f"staff account {user_id} does not exist")
    return str(row[0]), Role(row[1]), str(row[2])


async def disable_account(conn: AsyncConnection[Any], user_id: int) -> None:
    """Disabled at once: the bumped token version ends every token already issued."""
    await conn.execute(
        "UPDATE users SET disabled_at = coalesce(disabled_at, now()),"
        " token_version = token_version + 1 WHERE user_id = %s",
        (user_id,),
    )


async def password_of_user(conn: AsyncConnection[Any], user_id: int, password: str) -> bool:
    """Whether ``password`` is the account's login password (re-proving who you are)."""
    cursor = await conn.execute("SELECT password_hash FROM users WHERE user_id = %s", (user_id,))
    row = await cursor.fetchone()
    return row is not None and await verified(str(row[0]), password)
