"""``POST /v1/auth/login`` and ``POST /v1/auth/password``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.accounts import authenticate, change_password
from api.http import handles_errors, json_object, principal_of
from api.login_guard import LoginGuard
from api.tokens import TokenIssuer
from infra.errors import (
    AuthenticationError,
    ExpiredCredentialError,
    FieldProblem,
    InvalidInputError,
)


def _text(body: dict[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInputError([FieldProblem(name, "required text", "必填")])
    return value


async def login(request: Request) -> Response:
    """Failed attempts are counted per account and per address (see LoginGuard)."""
    body = await json_object(request)
    login_name, password = _text(body, "login"), _text(body, "password")
    guard: LoginGuard = request.app.state.login_guard
    address = request.client.host if request.client else "unknown"
    await guard.check(login_name, address)
    days = request.app.state.settings.initial_password_days
    async with request.app.state.pool.connection() as conn:
        try:
            who = await authenticate(conn, login_name, password, initial_password_days=days)
        except ExpiredCredentialError:
            raise
        except AuthenticationError:
            await guard.failed(login_name, address)
            raise
    await guard.succeeded(login_name)
    tokens: TokenIssuer = request.app.state.tokens
    return JSONResponse(
        {
            "token": tokens.issue(who),
            "role": who.role.value,
            "must_change_password": who.must_change_password,
        }
    )


async def password(request: Request) -> Response:
    who = principal_of(request, allow_pending_password=True)
    body = await json_object(request)
    async with request.app.state.pool.connection() as conn:
        updated = await change_password(
            conn, who, _text(body, "old_password"), _text(body, "new_password")
        )
    request.app.state.account_states.forget(who.user_id)
    tokens: TokenIssuer = request.app.state.tokens
    return JSONResponse({"token": tokens.issue(updated), "must_change_password": False})


routes = [
    Route("/v1/auth/login", handles_errors(login), methods=["POST"]),
    Route("/v1/auth/password", handles_errors(password), methods=["POST"]),
]
