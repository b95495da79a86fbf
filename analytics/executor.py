"""Running SitePulse's ClickHouse SQL: one interface over clickhouse-driver and chdb.

Every query is a SQL string with ``%(name)s`` parameters, rendered by clickhouse-driver's
own escaping, so the same text runs on the ClickHouse 18.16 server and on a current
ClickHouse (chdb, in the dialect tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from clickhouse_driver import Client

from infra.errors import UnavailableError
from infra.outages import is_outage

T = TypeVar("T")


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


class ExecutorPool:
    """A few clickhouse-driver clients for an async service: each query runs in a thread on
    a client of its own (a client is not safe to share between threads)."""

    def __init__(self, connect: Callable[[], Client], size: int = 4) -> None:
        self._connect = connect
        self._idle: asyncio.Queue[Client] = asyncio.Queue()
        self._created = 0
        self._size = size

    async def run(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``query(executor, *args, **kwargs)`` in a worker thread."""
        if self._idle.empty() and self._created < self._size:
            self._created += 1
            client = self._connect()
        else:
            client = await self._idle.get()
        try:
            return await asyncio.to_thread(query, DriverExecutor(client), *args, **kwargs)
        except Exception as exc:
            client.disconnect()  # reconnects on its next use
            if is_outage(exc):
                raise UnavailableError(
                    f"ClickHouse is not reachable: {type(exc).__name__}"
                ) from exc
            raise
        finally:
            self._idle.put_nowait(client)
