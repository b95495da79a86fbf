"""Staff accounts: each role creates only the accounts below it, inside its own scope."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.access import can_access_project
from api.accounts import create_user
from api.audit import audit
from api.guards import actor_of, path_id
from api.http import handles_errors, json_object, principal_of
from api.identity import check_new_password
from api.login_guard import LoginGuard
from api.principal import SCOPE_OF_ROLE, Principal, Role
from api.projects import parse_model
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError
from streams.regions import region_prefix


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.@-]{2,63}$")
    password: str = Field(min_length=1, max_length=128)
    role: Role
    scope_id: str = Field(min_length=1, max_length=64)


async def _may_create(conn: AsyncConnection[Any], who: Principal, user: UserIn) -> None:
    """Raise unless ``who`` may create an account with this role and scope."""
    if who.role is Role.REGULATOR:
        if user.role is Role.REGULATOR:
            if user.scope_id.startswith(region_prefix(who.scope_id)):
                return
        elif user.role in (Role.CONTRACTOR_ADMIN, Role.SUBCONTRACTOR):
            cursor = await conn.execute(
                "SELECT 1 FROM enterprises WHERE enterprise_id::text = %s", (user.scope_id,)
            )
            if await cursor.fetchone() is not None:
                return
        elif user.role is Role.LABOUR_OFFICER and await can_access_project(
            conn, who, user.scope_id
        ):
            return
    elif (
        who.role is Role.CONTRACTOR_ADMIN
        and user.role is Role.LABOUR_OFFICER
        and await can_access_project(conn, who, user.scope_id)
    ):
        return
    raise ForbiddenError(
        f"a {who.role.value} cannot create a {user.role.value} account for {user.scope_id!r}"
    )


async def post_user(request: Request) -> Response:
    who = principal_of(request)
    user: UserIn = parse_model(UserIn, await json_object(request))
    if user.role is Role.WORKER:
        raise InvalidInputError(
            [
                FieldProblem(
                    "role", "worker accounts come from registration", "工人账号由实名登记自动生成"
                )
            ]
        )
    check_new_password(user.password, field="password")
    async with request.app.state.pool.connection() as conn:
        await _may_create(conn, who, user)
        user_id = await create_user(
            conn, login=user.login, password=user.password, role=user.role, scope_id=user.scope_id
        )
        await audit(
            conn,
            actor=actor_of(who),
            action="user.create",
            entity="user",
            entity_id=str(user_id),
            detail={"role": user.role.value},
        )
    body = {
        "user_id": user_id,
        "login": user.login,
        "role": user.role.value,
        "scope_kind": SCOPE_OF_ROLE[user.role].value,
        "scope_id": user.scope_id,
        "must_change_password": True,
    }
    return JSONResponse(body, status_code=201)


async def _managed_staff_account(conn: AsyncConnection[Any], who: Principal, user_id: int) -> str:
    """The login of a staff account ``who`` manages (could have created); 404 or 403."""
    cursor = await conn.execute(
        "SELECT login, role, scope_id FROM users WHERE user_id = %s", (user_id,)
    )
    row = await cursor.fetchone()
    if row is None or row[1] == Role.WORKER.value:
        raise NotFoundError(f"staff account {user_id} does not exist")
    target = UserIn.model_construct(login=row[0], role=Role(row[1]), scope_id=row[2])
    await _may_create(conn, who, target)
    return str(row[0])


async def post_user_disable(request: Request) -> Response:
    """Disable a staff account, allowed to whoever could have created it."""
    who = principal_of(request)
    user_id = path_id(request, "user_id", "staff account")
    async with request.app.state.pool.connection() as conn:
        await _managed_staff_account(conn, who, user_id)
        await conn.execute(
            "UPDATE users SET disabled_at = coalesce(disabled_at, now()),"
            " token_version = token_version + 1 WHERE user_id = %s",
            (user_id,),
        )
        await audit(
            conn,
            actor=actor_of(who),
            action="user.disable",
            entity="user",
            entity_id=str(user_id),
        )
    request.app.state.account_states.forget(user_id)
    return JSONResponse({"user_id": user_id, "disabled": True})


async def post_user_unlock(request: Request) -> Response:
    """Lift a login lockout (too many wrong passwords), allowed to whoever could have
    created the account; audited."""
    who = principal_of(request)
    user_id = path_id(request, "user_id", "staff account")
    async with request.app.state.pool.connection() as conn:
        login = await _managed_staff_account(conn, who, user_id)
        guard: LoginGuard = request.app.state.login_guard
        was_locked = await guard.unlock(login)
        await audit(
            conn,
            actor=actor_of(who),
            action="user.unlock",
            entity="user",
            entity_id=str(user_id),
            detail={"was_locked": was_locked},
        )
    return JSONResponse({"user_id": user_id, "unlocked": True, "was_locked": was_locked})


routes = [
    Route("/v1/users", handles_errors(post_user), methods=["POST"]),
    Route("/v1/users/{user_id:int}/disable", handles_errors(post_user_disable), methods=["POST"]),
    Route("/v1/users/{user_id:int}/unlock", handles_errors(post_user_unlock), methods=["POST"]),
]
