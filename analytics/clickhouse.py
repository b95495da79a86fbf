"""ClickHouse connection factory (clickhouse-driver, native protocol)."""

from __future__ import annotations

from urllib.parse import urlsplit

from clickhouse_driver import Client


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
