"""Running SitePulse's ClickHouse SQL: one interface over clickhouse-driver and chdb.

Every query is a SQL string with ``%(name)s`` parameters, rendered by clickhouse-driver's
own escaping, so the same text runs on the ClickHouse 18.16 server and on a current
ClickHouse (chdb, in the dialect tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from clickhouse_driver import Client


class Executor(Protocol):
    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert with the parameterised ``INSERT INTO t (...) VALUES`` form."""


class DriverExecutor:
    """The production adapter: clickhouse-driver over the native protocol."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.client.execute(sql, params or {})]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", list(rows))
