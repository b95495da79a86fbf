"""The one table that turns exceptions into HTTP answers, and the Problem body they share.

Routes raise; nothing catches per route. Semantic errors of the exception tree become
4xx, a value PostgreSQL refuses becomes 422 naming the field, a race on a unique key
becomes 409, and an outage of a store becomes 503 with ``Retry-After``."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

import psycopg
from fastapi.exceptions import RequestValidationError
from psycopg import errors as pg_errors
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
from infra.outages import outage_response
from streams.records import field_problems


class ProblemDetail(BaseModel):
    field: str
    reason: str
    message_zh: str


class Problem(BaseModel):
    """Every refusal: a code, the reason in English, the message in Chinese, and for
    invalid input every problem with its field."""

    error: str
    reason: str | None = None
    message_zh: str | None = None
    problems: list[ProblemDetail] | None = None


_DESCRIBED = {
    401: "not authenticated",
    403: "outside the caller's role or scope",
    404: "not found (or not visible)",
    409: "conflicts with current state",
    413: "the request body is larger than the configured limit",
    422: "invalid input: every problem with field, reason and Chinese message",
    429: "too many failed logins for the account or from the address (Retry-After)",
    503: "a store or the face models are not available now (Retry-After)",
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries for these refusals."""
    return {code: {"model": Problem, "description": _DESCRIBED[code]} for code in codes}


#: What any authenticated route may answer besides its own success.
COMMON_REFUSALS = problem_responses(401, 403, 404, 409, 413, 422, 503)

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
        return _invalid(error.problems)
    if isinstance(error, TooManyAttemptsError):
        body = {"error": "too_many_attempts", "reason": str(error), "message_zh": error.message_zh}
        headers = {"Retry-After": str(error.retry_after_s)}
        return JSONResponse(body, status_code=429, headers=headers)
    for kind, status, code, zh in _STATUS_AND_ZH:
        if isinstance(error, kind):
            specific = getattr(error, "message_zh", None)
            body = {"error": code, "reason": str(error), "message_zh": specific or zh}
            return JSONResponse(body, status_code=status)
    body = {"error": "internal", "reason": "internal error", "message_zh": "服务器内部错误"}
    return JSONResponse(body, status_code=500)


def _invalid(problems: list[FieldProblem]) -> JSONResponse:
    body = {"error": "invalid", "problems": [problem.as_dict() for problem in problems]}
    return JSONResponse(body, status_code=422)


async def _semantic(request: Request, error: Exception) -> Response:
    assert isinstance(error, SitePulseError)
    return error_response(error)


async def _validation(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return _invalid(field_problems(error.errors()))


async def _data_refused(request: Request, error: Exception) -> Response:
    # A value the validators let through but PostgreSQL refuses (out of range, say).
    sqlstate = getattr(error, "sqlstate", None)
    reason = f"value refused by the database: {sqlstate}"
    return _invalid([FieldProblem("body", reason, "提交的数据超出允许范围")])


_KEY_COLUMN = re.compile(r"Key \((?P<column>[a-z_]+)\)")


async def _dangling_reference(request: Request, error: Exception) -> Response:
    """The field whose value names something that does not exist. Only the column is
    taken from the database's message: its values may be personal data."""
    assert isinstance(error, pg_errors.ForeignKeyViolation)
    found = _KEY_COLUMN.search(error.diag.message_detail or "")
    field = found["column"] if found else "body"
    reason = "refers to something that does not exist"
    return _invalid([FieldProblem(field, reason, f"{field}: 引用的数据不存在")])


async def _duplicate(request: Request, error: Exception) -> Response:
    # Two requests raced past the duplicate check; the database kept one of them.
    assert isinstance(error, pg_errors.UniqueViolation)
    constraint = error.diag.constraint_name or "a unique constraint"
    conflict = ConflictError(
        f"already exists ({constraint})", message_zh="数据已存在，请勿重复提交"
    )
    return error_response(conflict)


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        body = {
            "error": "method_not_allowed",
            "reason": f"{request.method} is not allowed here",
            "message_zh": "不支持此请求方法",
        }
    elif error.status_code == 404:
        body = {
            "error": "not_found",
            "reason": f"no such resource: {request.url.path}",
            "message_zh": "未找到",
        }
    elif error.status_code == 400:
        # The framework could not read the body (not UTF-8, say): invalid input like any.
        problem = FieldProblem("body", str(error.detail), "请求体不是合法的 JSON")
        return _invalid([problem])
    else:
        body = {"error": "http", "reason": str(error.detail), "message_zh": "请求无法处理"}
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

#: The order matters only for subclasses: Starlette picks the most specific class.
EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    SitePulseError: _semantic,
    RequestValidationError: _validation,
    psycopg.DataError: _data_refused,
    pg_errors.ForeignKeyViolation: _dangling_reference,
    pg_errors.UniqueViolation: _duplicate,
    HTTPException: _http,
    Exception: outage_response,
}
