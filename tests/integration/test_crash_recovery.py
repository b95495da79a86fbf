"""A streams worker killed before its rows reached ClickHouse loses nothing.

Passes are consumed and published live while ClickHouse is frozen; then the worker is
killed. Their offsets must not have been committed, so the restarted worker reads them
again and stores them, and the live channel does not repeat them.
"""

from __future__ import annotations

import asyncio
import os
import signal

from infra.launch.stack import status
from infra.settings import Settings

from .helpers import dashboard, new_device, pass_item, post_passes, stored_event_ids, wait_until

COMMIT_INTERVAL_S = 2.8  # faust's broker_commit_interval default


def _pid(settings: Settings, name: str) -> int:
    pid = {row.name: row for row in status(settings)}[name].pid
    assert pid is not None
    return pid


async def test_worker_crash_before_the_clickhouse_write_loses_nothing(stack: Settings) -> None:
    device = new_device(stack)
    expected = sorted(f"{device.device_id}:{serial}" for serial in range(1, 41))
    clickhouse = _pid(stack, "clickhouse")
    streams = _pid(stack, "streams")
    os.kill(clickhouse, signal.SIGSTOP)
    try:
        async with dashboard(stack, device.project_id) as feed:
            items = [pass_item(serial) for serial in range(1, 41)]
            assert (await post_passes(stack, device, items)).status_code == 202
            await wait_until(lambda: feed.event_ids() == expected)  # consumed, published
            # Faust commits acked offsets every 2.8 s: give it the chance to commit
            # too early, which is exactly what must not happen.
            await asyncio.sleep(COMMIT_INTERVAL_S + 1.5)

            os.killpg(streams, signal.SIGKILL)
            os.kill(clickhouse, signal.SIGCONT)

            def restarted() -> bool:
                row = {r.name: r for r in status(stack)}["streams"]
                return row.healthy and row.pid != streams

            await wait_until(restarted, timeout_s=90)
            await wait_until(
                lambda: stored_event_ids(stack, device.project_id) == expected, timeout_s=90
            )
            await asyncio.sleep(1)
            assert feed.event_ids() == expected  # the replay was not published again
    finally:
        os.kill(clickhouse, signal.SIGCONT)
