"""Events gathered one by one: handed on full or once the first has waited, in order, each
message held until the batch's receiver releases it."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import EventT

from streams.gathered_batches import GatheredBatches
from tests.held_events import Event, as_batch, refs


async def test_a_full_batch_goes_at_once_and_a_partial_one_once_it_waited() -> None:
    handed: list[list[Any]] = []

    async def hand_on(events: list[EventT[Any]]) -> None:
        handed.append([event.value for event in events])

    gathered = GatheredBatches(hand_on, size=3, within=0.05)
    events = as_batch([Event(n) for n in range(5)])
    for event in events:
        if gathered.gather(event):
            await gathered.hand_on_now()
    assert handed == [[0, 1, 2]]
    assert refs(events) == [2] * 5  # each held for the receiver, Faust's own reference too
    await gathered.hand_on_due()
    assert handed == [[0, 1, 2]]  # the first of 3, 4 has not waited long enough
    await asyncio.sleep(0.06)
    await gathered.hand_on_due()
    assert handed == [[0, 1, 2], [3, 4]]
    await gathered.hand_on_now()  # nothing gathered: nothing handed on
    assert len(handed) == 2


async def test_batches_go_on_in_the_order_they_were_gathered() -> None:
    handed: list[Any] = []
    first_may_finish = asyncio.Event()

    async def hand_on(events: list[EventT[Any]]) -> None:
        if events[0].value == 0:
            await first_may_finish.wait()
        handed.append(events[0].value)

    gathered = GatheredBatches(hand_on, size=1, within=10)
    [zero, one] = as_batch([Event(0), Event(1)])
    assert gathered.gather(zero)
    first = asyncio.create_task(gathered.hand_on_now())
    await asyncio.sleep(0)
    assert gathered.gather(one)
    second = asyncio.create_task(gathered.hand_on_now())
    await asyncio.sleep(0.01)
    assert handed == []  # the second batch waits for the first
    first_may_finish.set()
    await asyncio.gather(first, second)
    assert handed == [0, 1]
