"""The one retry module: outages are waited out, refusals raised, loops kept running."""

from __future__ import annotations

import asyncio

import pytest

from infra.retry import keep_running, retrying


async def test_an_outage_is_waited_out_and_a_refusal_raised_at_once() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError("store restarting")
        return "written"

    assert await retrying("store", flaky) == "written" and calls == 2

    async def refused() -> None:
        raise ValueError("the store refused this value")

    with pytest.raises(ValueError):
        await retrying("store", refused)


async def test_a_background_loop_is_started_again_after_it_fails() -> None:
    runs = 0

    async def loop() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError("lost the connection")

    await asyncio.wait_for(keep_running("relay", loop, service="tests"), timeout=10)
    assert runs == 3

    async def forever() -> None:
        await asyncio.sleep(3600)

    task = asyncio.create_task(keep_running("relay", forever, service="tests"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
