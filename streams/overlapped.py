"""Batches handled in a task of their own, one after another, while Faust reads the next.

Faust's ``take_events`` reads nothing while an agent's loop body runs, so every wait in
the body (a Redis script, a ClickHouse insert, a query) is time the worker spends idle.
An agent gives each batch to :meth:`Overlapped.submit` instead, which holds the batch's
messages (their offsets cannot be committed before the handler is done with them) and
returns at once unless ``depth`` batches wait already; a single task handles them in the
order they came.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faust.types import EventT

log = logging.getLogger(__name__)
Batch = list[EventT[Any]]


class Overlapped:
    def __init__(self, handle: Callable[[Batch], Awaitable[None]], *, depth: int = 2) -> None:
        self._handle = handle
        self._waiting: asyncio.Queue[Batch] = asyncio.Queue(maxsize=depth)
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def submit(self, events: Batch) -> None:
        """Queue a batch for the handler; waits while ``depth`` batches wait already.

        Raises what the handler raised for an earlier batch, so the agent stops as it did
        when it handled its batches itself."""
        self._raise_failure()
        for event in events:
            event.message.incref()  # released by the handler's task once it is done
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="overlapped batches")
        await self._waiting.put(events)

    async def drain(self) -> None:
        """Return once every batch submitted so far is handled."""
        await self._waiting.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    async def _run(self) -> None:
        while True:
            events = await self._waiting.get()
            try:
                await self._handle(events)
            except Exception as exc:
                log.exception("handling a batch of %d messages failed", len(events))
                self._failure = exc
            finally:
                for event in events:
                    event.ack()
                self._waiting.task_done()
