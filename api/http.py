"""Shared HTTP plumbing for the people's API: errors to responses, auth, JSON bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import errors as pg_errors
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
    TooManyAttemptsError,
    UnavailableError,
)

Endpoint = Callable[[Request], Awaitable[Response]]

_STATUS_AND_ZH: list[tuple[type[SitePulseError], int, str, str]] = [
    (AuthenticationError, 401, "unauthorized", "请重新登录"),
    (ForbiddenError, 403, "forbidden", "无权执行此操作"),
    (NotFoundError, 404, "not_found", "未找到"),
    (ConflictError, 409, "conflict", "与现有数据冲突"),
    (ConfirmationRequiredError, 422, "confirmation_required", "此操作不可撤销，请确认"),
    (UnavailableError, 503, "unavailable", "服务暂不可用，请稍后再试"),
]


def error_response(error: SitePulseError) -> JSONResponse:
    if isinstance(error, InvalidInputError):
        problems = [problem.as_dict() for problem in error.problems]
        return JSONResponse({"error": "invalid", "problems": problems}, status_code=422)
    if isinstance(error, TooManyAttemptsError):
        body = {"error": "too_many_attempts", "reason": str(error), "message_zh": error.message_zh}
        headers = {"Retry-After": str(error.retry_after_s)}
        return JSONResponse(body, status_code=429, headers=headers)
    for kind, status, code, zh in _STATUS_AND_ZH:
        if isinstance(error, kind):
            specific = getattr(error, "message_zh", None)
            body = {"error": code, "reason": str(error), "message_zh": specific or zh}
            return JSONResponse(body, status_code=status)
    raise error


def handles_errors(endpoint: Endpoint) -> Endpoint:
    """Turn the semantic errors of the exception tree into 4xx responses."""

    async def wrapped(request: Request) -> Response:
        try:
            _refuse_nul(request.query_params.multi_items(), "query")
            return await endpoint(request)
        except SitePulseError as error:
            return error_response(error)
        except psycopg.DataError as error:
            # A value the validators let through but PostgreSQL refuses (out of range, say).
            reason = f"value refused by the database: {error.sqlstate}"
            problem = FieldProblem("body", reason, "提交的数据超出允许范围")
            return error_response(InvalidInputError([problem]))
        except pg_errors.ForeignKeyViolation as error:
            return error_response(InvalidInputError([_dangling_reference(error)]))
        except pg_errors.UniqueViolation as error:
            # Two requests raced past the duplicate check; the database kept one of them.
            constraint = error.diag.constraint_name or "a unique constraint"
            return error_response(
                ConflictError(
                    f"already exists ({constraint})", message_zh="数据已存在，请勿重复提交"
                )
            )

    return wrapped


_KEY_COLUMN = re.compile(r"Key \((?P<column>[a-z_]+)\)")


def _dangling_reference(error: pg_errors.ForeignKeyViolation) -> FieldProblem:
    """The field whose value names something that does not exist. Only the column is
    taken from the database's message: its values may be personal data."""
    found = _KEY_COLUMN.search(error.diag.message_detail or "")
    field = found["column"] if found else "body"
    return FieldProblem(
        field, "refers to something that does not exist", f"{field}: 引用的数据不存在"
    )


def _refuse_nul(items: Any, where: str) -> None:
    """PostgreSQL text cannot hold NUL characters; say so instead of failing later."""
    for name, value in items:
        if isinstance(value, str) and "\x00" in value:
            problem = FieldProblem(f"{where}.{name}", "contains a NUL character", "包含非法字符")
            raise InvalidInputError([problem])


def _walk_strings(value: Any, path: str = "body") -> Any:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(item, f"{path}.{key}")
            yield from _walk_strings(key, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_strings(item, f"{path}.{index}")


async def json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = FieldProblem("body", f"not JSON: {exc}", "请求体不是合法的 JSON")
        raise InvalidInputError([problem]) from None
    if not isinstance(value, dict):
        raise InvalidInputError([FieldProblem("body", "must be a JSON object", "请求体应为对象")])
    for path, text in _walk_strings(value):
        if "\x00" in text:
            raise InvalidInputError(
                [FieldProblem(path, "contains a NUL character", "包含非法字符")]
            )
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


def page_params(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", "50"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        raise InvalidInputError(
            [FieldProblem("limit", "limit and offset must be integers", "分页参数应为整数")]
        ) from None
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError(
            [FieldProblem("limit", "limit 1-500 and offset >= 0", "分页参数不正确")]
        )
    return limit, offset
