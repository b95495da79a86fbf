"""ClickHouse connection factory (clickhouse-driver, native protocol)."""

from __future__ import annotations

from urllib.parse import urlsplit

from clickhouse_driver import Client
from clickhouse_driver.errors import ErrorCodes, NetworkError, ServerException, SocketTimeoutError

# Server answers that mean "not now" rather than "not this data".
_TRANSIENT_CODES = frozenset(
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


def is_outage(error: BaseException) -> bool:
    """Whether ClickHouse failed to answer (worth retrying) rather than refused the data."""
    if isinstance(error, NetworkError | SocketTimeoutError | OSError | EOFError):
        return True
    return isinstance(error, ServerException) and error.code in _TRANSIENT_CODES


def database_name(url: str) -> str:
    return urlsplit(url).path.strip("/") or "default"


def connect(url: str, *, database: str | None = None) -> Client:
    """A client for ``url``; ``database=""`` connects without selecting the URL's database."""
    parts = urlsplit(url)
    return Client(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 9000,
        user=parts.username or "default",
        password=parts.password or "",
        database=database_name(url) if database is None else (database or "default"),
        connect_timeout=5,
        send_receive_timeout=60,
    )
