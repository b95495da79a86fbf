"""Events gathered one at a time into batches, for an agent that iterates its stream the
way a bare Faust agent does.

Faust's ``take_events`` costs the worker's event loop more per event than plain iteration
(a background drainer, an async processor and an awaited acknowledgement for each), and
the passes role's worker does little else; the frames agent reads so too, sparing the
worker ``take_events``' wake-ups while no frames come. Here the agent takes each event as it comes
and holds its message (so its offset waits), and a batch is handed on when it is full or
when its first event has waited ``within`` seconds (:meth:`GatheredBatches.hand_on_due`,
called every few milliseconds, covers a quiet stream).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from faust.types import EventT

Batch = list[EventT[Any]]


class GatheredBatches:
    def __init__(
        self, hand_on: Callable[[Batch], Awaitable[None]], *, size: int, within: float
    ) -> None:
        self._hand_on = hand_on
        self._size = size
        self._within = within
        self._events: Batch = []
        self._first_at = 0.0
        self._lock = asyncio.Lock()  # batches go on in the order they were gathered

    def gather(self, event: EventT[Any]) -> bool:
        """Hold ``event`` for the next batch; True once the batch is full (then the caller
        awaits :meth:`hand_on_now`). Not a coroutine: it runs for every event."""
        event.message.incref()  # Faust acknowledges it as the next one is read
        if not self._events:
            self._first_at = time.monotonic()
        self._events.append(event)
        return len(self._events) >= self._size

    async def hand_on_due(self) -> None:
        """Hand on what was gathered once its first event has waited ``within``."""
        if self._events and time.monotonic() - self._first_at >= self._within:
            await self.hand_on_now()

    async def hand_on_now(self) -> None:
        async with self._lock:
            events, self._events = self._events, []
            if events:
                await self._hand_on(events)
