"""Telling an outage from a refusal, for every store SitePulse talks to.

An outage is a store that did not answer (connection refused, reset or timed out; a server
saying "not now"): worth waiting for and retrying, and a 503 to an HTTP caller. Anything
else is a refusal or a bug: retrying it would block forever, so it is isolated instead.
"""

from __future__ import annotations

import psycopg
from clickhouse_driver.errors import ErrorCodes, NetworkError, ServerException, SocketTimeoutError
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.errors import UnavailableError

# ClickHouse answers that mean "not now" rather than "not this data".
_CLICKHOUSE_TRANSIENT = frozenset(
    {
        ErrorCodes.TIMEOUT_EXCEEDED,
        ErrorCodes.TOO_MANY_SIMULTANEOUS_QUERIES,
        ErrorCodes.SOCKET_TIMEOUT,
        ErrorCodes.NETWORK_ERROR,
        ErrorCodes.MEMORY_LIMIT_EXCEEDED,
        ErrorCodes.TABLE_IS_READ_ONLY,
        ErrorCodes.TOO_MANY_PARTS,
        ErrorCodes.ALL_CONNECTION_TRIES_FAILED,
        ErrorCodes.UNKNOWN_TABLE,  # a migration not applied yet
    }
)
_UNANSWERED = (
    OSError,  # ConnectionError and friends
    EOFError,
    TimeoutError,
    UnavailableError,
    NetworkError,
    SocketTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    psycopg.OperationalError,
    PoolTimeout,
)


def is_outage(error: BaseException) -> bool:
    """Whether the store failed to answer (worth retrying) rather than refused the data."""
    if isinstance(error, _UNANSWERED):
        return True
    return isinstance(error, ServerException) and error.code in _CLICKHOUSE_TRANSIENT


def store_of(error: BaseException) -> str:
    """Which store an outage is of, for the 503's reason."""
    module = type(error).__module__.split(".")[0]
    return {
        "psycopg": "PostgreSQL",
        "psycopg_pool": "PostgreSQL",
        "redis": "Redis",
        "clickhouse_driver": "ClickHouse",
        "aiokafka": "Kafka",
        "kafka": "Kafka",
    }.get(module, "a backing service")


async def outage_response(request: Request, error: Exception) -> Response:
    """The last word of an HTTP service on an unexpected exception: 503 with
    ``Retry-After`` while a store is down (the client loses nothing by retrying), else 500."""
    if is_outage(error):
        body = {
            "error": "unavailable",
            "reason": f"{store_of(error)} is not available now: {type(error).__name__}",
            "message_zh": "服务暂不可用，请稍后再试",
        }
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    body = {"error": "internal", "reason": "internal error", "message_zh": "服务器内部错误"}
    return JSONResponse(body, status_code=500)
