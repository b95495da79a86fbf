"""``POST /v1/auth/login`` (with an ID number, a staff login or a bound phone) and
``POST /v1/auth/password``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.dependencies import PendingCaller, Services
from api.errors import problem_responses
from api.stores.accounts import authenticate, change_password
from api.stores.worker_phones import resolve_login
from infra.errors import AuthenticationError, ExpiredCredentialError

router = APIRouter(tags=["accounts"])


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class PasswordIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokenView(BaseModel):
    token: str
    role: str | None = None
    must_change_password: bool


@router.post(
    "/v1/auth/login",
    response_model=TokenView,
    responses=problem_responses(401, 413, 422, 429, 503),
)
async def login(body: LoginIn, request: Request, app: Services) -> TokenView:
    """Failed attempts are counted per account and per address (see LoginGuard)."""
    address = request.client.host if request.client else "unknown"
    await app.login_guard.check(body.login, address)
    days = app.settings.initial_password_days
    async with app.pool.connection() as conn:
        account = await resolve_login(conn, app.sealer, body.login)  # a bound phone: its owner
        try:
            who = await authenticate(conn, account, body.password, initial_password_days=days)
        except ExpiredCredentialError:
            raise
        except AuthenticationError:
            await app.login_guard.failed(body.login, address)
            raise
    await app.login_guard.succeeded(body.login)
    return TokenView(
        token=app.tokens.issue(who),
        role=who.role.value,
        must_change_password=who.must_change_password,
    )


@router.post("/v1/auth/password", response_model=TokenView, response_model_exclude_none=True)
async def password(body: PasswordIn, who: PendingCaller, app: Services) -> TokenView:
    async with app.pool.connection() as conn:
        updated = await change_password(conn, who, body.old_password, body.new_password)
    app.account_states.forget(who.user_id)
    return TokenView(token=app.tokens.issue(updated), must_change_password=False)
