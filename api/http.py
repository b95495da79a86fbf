"""Shared HTTP plumbing for the people's API: errors to responses, auth, JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.principal import Principal
from api.tokens import TokenIssuer
from infra.errors import (
    AuthenticationError,
    ConfirmationRequiredError,
    ConflictError,
    FieldProblem,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    SitePulseError,
)

Endpoint = Callable[[Request], Awaitable[Response]]

_STATUS_AND_ZH: list[tuple[type[SitePulseError], int, str, str]] = [
    (AuthenticationError, 401, "unauthorized", "请重新登录"),
    (ForbiddenError, 403, "forbidden", "无权执行此操作"),
    (NotFoundError, 404, "not_found", "未找到"),
    (ConflictError, 409, "conflict", "与现有数据冲突"),
    (ConfirmationRequiredError, 422, "confirmation_required", "此操作不可撤销，请确认"),
]


def error_response(error: SitePulseError) -> JSONResponse:
    if isinstance(error, InvalidInputError):
        problems = [problem.as_dict() for problem in error.problems]
        return JSONResponse({"error": "invalid", "problems": problems}, status_code=422)
    for kind, status, code, zh in _STATUS_AND_ZH:
        if isinstance(error, kind):
            body = {"error": code, "reason": str(error), "message_zh": zh}
            return JSONResponse(body, status_code=status)
    raise error


def handles_errors(endpoint: Endpoint) -> Endpoint:
    """Turn the semantic errors of the exception tree into 4xx responses."""

    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SitePulseError as error:
            return error_response(error)

    return wrapped


async def json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = FieldProblem("body", f"not JSON: {exc}", "请求体不是合法的 JSON")
        raise InvalidInputError([problem]) from None
    if not isinstance(value, dict):
        raise InvalidInputError([FieldProblem("body", "must be a JSON object", "请求体应为对象")])
    return value


def principal_of(request: Request, *, allow_pending_password: bool = False) -> Principal:
    """The caller from ``Authorization: Bearer <token>``; 401 without one, 403 until the
    first-login password change is done."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("missing 'Authorization: Bearer <token>' header")
    issuer: TokenIssuer = request.app.state.tokens
    who = issuer.verify(token.strip())
    if who.must_change_password and not allow_pending_password:
        raise ForbiddenError("change the initial password first (POST /v1/auth/password)")
    return who
