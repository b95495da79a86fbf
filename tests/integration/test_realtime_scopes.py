"""The realtime service over WebSockets: tokens, role-scoped channels, resume, heartbeats."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
import websockets

from infra.settings import Settings
from realtime.client import LiveSubscriber, SubscriptionRefused

from .helpers import new_device, pass_item, post_passes, wait_until
from .people import Site, auth, worker_with_password
from .test_workers import new_id_number


def feed(stack: Settings, token: str, channel: str, last: str | None = None) -> LiveSubscriber:
    url = f"ws://{stack.bind_host}:{stack.realtime_port}/ws"
    return LiveSubscriber(url, token, channel, last_event_id=last)


async def refused(stack: Settings, token: str, channel: str) -> SubscriptionRefused:
    with pytest.raises(SubscriptionRefused) as caught:
        async with feed(stack, token, channel):
            pass
    return caught.value


async def test_tokens_and_scopes_decide_who_may_watch_what(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = site.tokens["officer_a"]
    assert (await refused(stack, "not-a-token", f"project:{site.project_a}")).code == 4401
    outside = await refused(stack, officer, f"project:{site.project_b}")
    assert outside.code == 4403 and "outside your scope" in outside.reason
    assert (await refused(stack, officer, "everything")).code == 4400
    assert (await refused(stack, site.tokens["regulator_bj"], "region:450000")).code == 4403
    assert (await refused(stack, officer, "region:450000")).code == 4403  # not a regulator

    url = f"ws://{stack.bind_host}:{stack.realtime_port}/ws"
    async with websockets.connect(url) as raw:
        await raw.send("hello")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await raw.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400

    device = new_device(stack, site.project_a)
    async with (
        feed(stack, officer, f"project:{site.project_a}") as project_feed,
        feed(stack, site.tokens["regulator_gx"], "region:450000") as region_feed,
    ):
        item = pass_item(1, worker_id="W-R1", direction="in", minutes_ago=1)
        assert (await post_passes(stack, device, [item])).status_code == 202
        await wait_until(lambda: len(project_feed.passes) == 1)
        await wait_until(lambda: any(m["type"] == "presence" for m in region_feed.messages))
    presence = next(m for m in region_feed.messages if m["type"] == "presence")
    assert presence["project_id"] == site.project_a and presence["headcount"] == 1
    assert region_feed.passes == []  # the region page gets counters, not every pass


async def test_a_worker_sees_only_their_own_channel(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    me, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    other, _, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    assert (await refused(stack, token, f"worker:{other}")).code == 4403
    assert (await refused(stack, token, f"project:{site.project_a}")).code == 4403
    device = new_device(stack, site.project_a)
    async with feed(stack, token, f"worker:{me}") as mine:
        items = [
            pass_item(1, worker_id=str(other), minutes_ago=2),
            pass_item(2, worker_id=str(me), direction="in", minutes_ago=1),
        ]
        assert (await post_passes(stack, device, items)).status_code == 202
        await wait_until(lambda: len(mine.passes) == 1)
        await asyncio.sleep(0.5)
    assert [m["event"]["worker_id"] for m in mine.passes] == [str(me)]
    # Staff who can see the worker may watch the worker's channel too.
    async with feed(stack, site.tokens["officer_a"], f"worker:{me}"):
        pass


async def test_a_dashboard_resumes_from_its_last_event_and_hears_heartbeats(
    stack: Settings, site: Site
) -> None:
    officer = site.tokens["officer_a"]
    channel = f"project:{site.project_a}"
    device = new_device(stack, site.project_a)
    async with feed(stack, officer, channel) as first:
        items = [pass_item(n, worker_id=f"W-H{n}", minutes_ago=1) for n in (1, 2, 3)]
        assert (await post_passes(stack, device, items)).status_code == 202
        await wait_until(lambda: len(first.passes) == 3)
        await wait_until(lambda: any(m["type"] == "heartbeat" for m in first.messages), 10)
    last_seen = first.passes[-1]["event"]["event_id"]
    missed = [pass_item(n, worker_id=f"W-H{n}", minutes_ago=1) for n in (4, 5)]
    assert (await post_passes(stack, device, missed)).status_code == 202
    await asyncio.sleep(1.0)  # delivered to nobody meanwhile
    async with feed(stack, officer, channel, last=last_seen) as resumed:
        await wait_until(lambda: len(resumed.passes) == 2)
    assert [m["event"]["event_id"] for m in resumed.passes] == [
        f"{device.device_id}:4",
        f"{device.device_id}:5",
    ]
    async with feed(stack, officer, channel, last="G-unknown:1") as lost:
        await wait_until(lambda: any(m["type"] == "resync" for m in lost.messages))
    heartbeat = next(m for m in first.messages if m["type"] == "heartbeat")
    assert datetime.fromisoformat(heartbeat["at"]).tzinfo == UTC
    assert json.dumps(heartbeat)
