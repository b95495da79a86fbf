"""One pass flows gate → ingest → Kafka → Faust → ClickHouse + Redis → WebSocket, exactly once."""

from __future__ import annotations

import asyncio
import json
import time

from infra.settings import Settings
from ingest.signing import sign_headers

from .helpers import dashboard as open_dashboard
from .helpers import new_device, pass_item, post_passes, stored_event_ids, wait_until


async def test_unique_events_are_stored_and_delivered_once_and_bad_batches_lose_nothing(
    stack: Settings,
) -> None:
    device = new_device(stack)
    expected = sorted(f"{device.device_id}:{serial}" for serial in range(1, 31))

    async with open_dashboard(stack, device.project_id) as dashboard:
        first = [pass_item(serial) for serial in range(1, 21)]
        response = await post_passes(stack, device, first)
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 20

        # Overlaps the first batch (15-20) and repeats serial 30 inside itself.
        second = [pass_item(serial) for serial in (*range(15, 31), 30)]
        assert (await post_passes(stack, device, second)).status_code == 202
        # A device that never saw the acknowledgement resends its batch.
        assert (await post_passes(stack, device, first)).status_code == 202

        # One bad field rejects the whole batch, naming the field and the reason.
        malformed = [pass_item(serial) for serial in range(31, 36)]
        malformed[2]["direction"] = "sideways"
        rejected = await post_passes(stack, device, malformed)
        assert rejected.status_code == 422
        problems = rejected.json()["problems"]
        assert problems == [
            {
                "field": "events.2.direction",
                "reason": "Input should be 'in', 'out' or 'unknown'",
                "message_zh": "events.2.direction: 取值不在允许范围内",
            }
        ]

        await wait_until(lambda: stored_event_ids(stack, device.project_id) == expected)
        await wait_until(lambda: dashboard.event_ids() == expected)
        await asyncio.sleep(2)  # anything duplicated or late would show up by now
        assert stored_event_ids(stack, device.project_id) == expected
        assert dashboard.event_ids() == expected

    # The corrected batch goes through: nothing of it was lost or half-applied before.
    malformed[2]["direction"] = "in"
    assert (await post_passes(stack, device, malformed)).status_code == 202
    expected_after = sorted([*expected, *(f"{device.device_id}:{s}" for s in range(31, 36))])
    await wait_until(lambda: stored_event_ids(stack, device.project_id) == expected_after)


async def test_live_messages_carry_the_event(stack: Settings) -> None:
    device = new_device(stack)
    async with open_dashboard(stack, device.project_id) as dashboard:
        item = pass_item(7, worker_id="W-42", direction="in", method="card", score=None)
        assert (await post_passes(stack, device, [item])).status_code == 202
        await wait_until(lambda: len(dashboard.passes) == 1)
        # The pass also changed who is on site: a presence update follows on the same channel.
        await wait_until(lambda: any(m["type"] == "presence" for m in dashboard.messages))
    event = dashboard.passes[0]["event"]
    presence = next(m for m in dashboard.messages if m["type"] == "presence")
    assert presence["headcount"] == 1 and presence["workers"] == ["W-42"]
    # A dashboard opened later is told at once who is on site.
    async with open_dashboard(stack, device.project_id) as late:
        await wait_until(lambda: any(m["type"] == "presence" for m in late.messages))
    first = next(m for m in late.messages if m["type"] != "heartbeat")  # heartbeats: every 1 s
    assert first["type"] == "presence" and first["headcount"] == 1
    assert event["worker_id"] == "W-42" and event["method"] == "card"
    assert event["project_id"] == device.project_id  # taken from the device, not the body


async def test_authentication_failures_are_401_with_a_reason(stack: Settings) -> None:
    device = new_device(stack)
    body = json.dumps({"events": [pass_item(1)]}).encode()

    forged = sign_headers("not-the-device-secret", device.device_id, body, now=time.time())
    response = await post_passes(stack, device, body=body, headers=forged)
    assert response.status_code == 401
    assert "signature does not match" in response.json()["reason"]

    stale = sign_headers(device.secret, device.device_id, body, now=time.time() - 3600)
    response = await post_passes(stack, device, body=body, headers=stale)
    assert response.status_code == 401 and "timestamp" in response.json()["reason"]

    unknown = sign_headers(device.secret, "NOPE-G9", body, now=time.time())
    response = await post_passes(stack, device, body=body, headers=unknown)
    assert response.status_code == 401 and "unknown or disabled device" in response.json()["reason"]

    fresh = sign_headers(device.secret, device.device_id, body, now=time.time())
    assert (await post_passes(stack, device, body=body, headers=fresh)).status_code == 202
    replayed = await post_passes(stack, device, body=body, headers=fresh)
    assert replayed.status_code == 401 and "already used" in replayed.json()["reason"]

    # Nothing from the refused requests was stored.
    await wait_until(
        lambda: stored_event_ids(stack, device.project_id) == [f"{device.device_id}:1"]
    )


async def test_oversized_batches_are_refused(stack: Settings) -> None:
    device = new_device(stack)
    items = [pass_item(serial) for serial in range(stack.ingest_max_batch + 1)]
    response = await post_passes(stack, device, items)
    assert response.status_code in (413, 422)
    assert response.json()["problems"][0]["field"] in ("body", "events")
