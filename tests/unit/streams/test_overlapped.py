"""The overlapped batches: handled in order in a task of their own, the messages held until
their batch is handled, a bounded number waiting, and a handler's failure raised."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from faust.types import EventT

from streams.overlapped import Overlapped
from tests.held_events import Event, as_batch, refs


def batch(*values: int) -> list[EventT[Any]]:
    return as_batch([Event(value) for value in values])


async def test_batches_are_handled_in_order_after_submit_returned_and_held_until_then() -> None:
    gate = asyncio.Event()
    handled: list[list[int]] = []

    async def handle(events: list[EventT[Any]]) -> None:
        await gate.wait()
        handled.append([cast("Event", event).value for event in events])

    overlapped = Overlapped(handle, depth=2)
    first, second = batch(1, 2), batch(3)
    await overlapped.submit(first)
    await overlapped.submit(second)
    await asyncio.sleep(0)
    assert handled == [] and refs(first) == [2, 2]  # not handled yet: the offsets wait
    gate.set()
    await overlapped.drain()
    assert handled == [[1, 2], [3]]
    assert refs(first) + refs(second) == [1, 1, 1]  # only Faust's own reference is left


async def test_submit_waits_while_depth_batches_wait() -> None:
    gate = asyncio.Event()

    async def handle(events: list[EventT[Any]]) -> None:
        await gate.wait()

    overlapped = Overlapped(handle, depth=1)
    await overlapped.submit(batch(1))  # taken by the handler's task
    await asyncio.sleep(0)
    await overlapped.submit(batch(2))  # waits in the queue
    third = asyncio.create_task(overlapped.submit(batch(3)))
    await asyncio.sleep(0.01)
    assert not third.done()
    gate.set()
    await asyncio.wait_for(third, 1)
    await overlapped.drain()


async def test_a_failed_batch_is_raised_to_the_agent_and_its_messages_released() -> None:
    async def handle(events: list[EventT[Any]]) -> None:
        if events[0].value == 1:
            raise ValueError("refused")

    overlapped = Overlapped(handle)
    failing = batch(1)
    await overlapped.submit(failing)
    with pytest.raises(ValueError, match="refused"):
        await overlapped.drain()
    assert refs(failing) == [1]
    await overlapped.submit(batch(2))  # raised once; the next batches go on
    await overlapped.drain()
