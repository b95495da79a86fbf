"""Rows written to ClickHouse in the background, in large batches (1,000 rows or once a
second), and the receipts that wait for them: a batch's reply to the worker that holds its
Kafka messages (:mod:`streams.role_process`), whose offsets may only be committed once its
rows are written. A crash before replays them, and the replacing engines make the replay
harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from analytics.isolation import Refused, write_isolating
from infra.outages import is_outage
from infra.retry import retrying
from streams.sink_buffer import SinkBuffer

log = logging.getLogger(__name__)
Row = TypeVar("Row")


class Receipt(Protocol):
    """Released once its rows are written."""

    def ack(self) -> object: ...


class BatchedWrites(Generic[Row]):
    def __init__(
        self,
        write: Callable[[list[Row]], Awaitable[None]],
        *,
        max_rows: int,
        max_age_s: float,
    ) -> None:
        self._write = write
        self._buffer: SinkBuffer[Row, Receipt] = SinkBuffer(max_rows=max_rows, max_age_s=max_age_s)
        self._lock = asyncio.Lock()
        self._flushing: asyncio.Task[None] | None = None
        # Back-pressure: past this many waiting rows, the stream waits for the write.
        self._max_waiting = 10 * max_rows

    def add(self, rows: list[Row], held: Sequence[Receipt] = ()) -> None:
        """Queue ``rows``; each of ``held`` is released once they are written."""
        self._buffer.add(rows, list(held), now=time.monotonic())

    async def flush_if_due(self) -> None:
        """Start a write in the background when a batch is due; the stream keeps flowing.

        Also called on a timer, so a quiet stream still writes within ``max_age_s``.
        """
        if self._flushing is not None and self._flushing.done():
            self._flushing.result()  # surfaces a write that failed for good
            self._flushing = None
        if self._flushing is None and self._buffer.due(now=time.monotonic()):
            self._flushing = asyncio.create_task(self.flush())
        elif self._flushing is not None and len(self._buffer) >= self._max_waiting:
            await asyncio.shield(self._flushing)

    async def flush(self) -> None:
        """Write what waits now, then release its messages."""
        async with self._lock:
            rows, held = self._buffer.take()
            if rows:
                await self._write(rows)
            for receipt in held:
                receipt.ack()  # the batch's offsets may now be committed


async def write_isolated(
    table: str, rows: Sequence[Row], write: Callable[[Sequence[Row]], object]
) -> list[Refused[Row]]:
    """Write ``rows`` to ClickHouse, waiting out outages; the rows it refuses come back
    with its reason, and the others are written."""

    def isolate() -> Awaitable[list[Refused[Row]]]:
        return asyncio.to_thread(write_isolating, rows, write, is_outage=is_outage)

    refused = await retrying("clickhouse", isolate)
    if refused:
        log.warning("ClickHouse refused %d of %d rows of %s", len(refused), len(rows), table)
    return refused
