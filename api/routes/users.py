"""Staff accounts: each role creates only the accounts below it, inside its own scope, and
may disable or unlock those it could have created."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.auth.access import can_access_project
from api.auth.guards import actor_of
from api.auth.passwords import check_new_password
from api.auth.principal import SCOPE_OF_ROLE, Principal, Role
from api.dependencies import Caller, RowId, Services
from api.stores.accounts import create_user, disable_account, staff_account
from api.stores.audit import audit
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError
from streams.regions import region_prefix

router = APIRouter(tags=["accounts"])


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.@-]{2,63}$")
    password: str = Field(min_length=1, max_length=128)
    role: Role
    scope_id: str = Field(min_length=1, max_length=64)


class UserView(BaseModel):
    user_id: int
    login: str
    role: Role
    scope_kind: str
    scope_id: str
    must_change_password: bool


class Disabled(BaseModel):
    user_id: int
    disabled: bool


class Unlocked(BaseModel):
    user_id: int
    unlocked: bool
    was_locked: bool


async def _may_manage(conn: AsyncConnection[Any], who: Principal, role: Role, scope: str) -> None:
    """Raise unless ``who`` may create (and so manage) an account with this role and scope."""
    if who.role is Role.REGULATOR:
        if role is Role.REGULATOR:
            if scope.startswith(region_prefix(who.scope_id)):
                return
        elif role in (Role.CONTRACTOR_ADMIN, Role.SUBCONTRACTOR):
            cursor = await conn.execute(
                "SELECT 1 FROM enterprises WHERE enterprise_id::text = %s", (scope,)
            )
            if await cursor.fetchone() is not None:
                return
        elif role is Role.LABOUR_OFFICER and await can_access_project(conn, who, scope):
            return
    elif (
        who.role is Role.CONTRACTOR_ADMIN
        and role is Role.LABOUR_OFFICER
        and await can_access_project(conn, who, scope)
    ):
        return
    raise ForbiddenError(f"a {who.role.value} cannot create a {role.value} account for {scope!r}")


@router.post("/v1/users", status_code=201, response_model=UserView)
async def post_user(user: UserIn, who: Caller, app: Services) -> UserView:
    if user.role is Role.WORKER:
        reason, zh = "worker accounts come from registration", "工人账号由实名登记自动生成"
        raise InvalidInputError([FieldProblem("role", reason, zh)])
    check_new_password(user.password, field="password")
    async with app.pool.connection() as conn:
        await _may_manage(conn, who, user.role, user.scope_id)
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
    return UserView(
        user_id=user_id,
        login=user.login,
        role=user.role,
        scope_kind=SCOPE_OF_ROLE[user.role].value,
        scope_id=user.scope_id,
        must_change_password=True,
    )


async def _managed_login(conn: AsyncConnection[Any], who: Principal, user_id: int) -> str:
    """The login of a staff account ``who`` manages (could have created); 404 or 403."""
    login, role, scope = await staff_account(conn, user_id)
    await _may_manage(conn, who, role, scope)
    return login


@router.post("/v1/users/{user_id:int}/disable", response_model=Disabled)
async def post_user_disable(user_id: RowId, who: Caller, app: Services) -> Disabled:
    """Disable a staff account, allowed to whoever could have created it."""
    async with app.pool.connection() as conn:
        await _managed_login(conn, who, user_id)
        await disable_account(conn, user_id)
        await audit(
            conn, actor=actor_of(who), action="user.disable", entity="user", entity_id=str(user_id)
        )
    app.account_states.forget(user_id)
    return Disabled(user_id=user_id, disabled=True)


@router.post("/v1/users/{user_id:int}/unlock", response_model=Unlocked)
async def post_user_unlock(user_id: RowId, who: Caller, app: Services) -> Unlocked:
    """Lift a login lockout (too many wrong passwords), allowed to whoever could have
    created the account; audited."""
    async with app.pool.connection() as conn:
        login = await _managed_login(conn, who, user_id)
        was_locked = await app.login_guard.unlock(login)
        await audit(
            conn,
            actor=actor_of(who),
            action="user.unlock",
            entity="user",
            entity_id=str(user_id),
            detail={"was_locked": was_locked},
        )
    return Unlocked(user_id=user_id, unlocked=True, was_locked=was_locked)
