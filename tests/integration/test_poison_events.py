"""No single value stops the stream: unbelievable times are refused at the edge or
dead-lettered on the topic, a row ClickHouse refuses is isolated, and every other gate's
passes keep being stored."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import cv2
import httpx
import numpy as np
from aiokafka import AIOKafkaProducer

from analytics.clickhouse import connect
from analytics.isolation import write_isolating
from analytics.sink import PassSink
from infra.outages import is_outage
from infra.settings import Settings
from ingest.signing import sign_headers
from streams.records import Direction, PassEvent, PassMethod
from streams.topics import GATE_FRAMES, GATE_PASSES

from .helpers import (
    dead_letters_about,
    new_device,
    pass_item,
    post_passes,
    stored_event_ids,
    wait_until,
)

RESET_CLOCK = "1969-12-31T23:00:00+08:00"
EDGE_TIMES = [
    RESET_CLOCK,
    "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    (datetime.now(UTC) - timedelta(days=93)).isoformat(),
]


async def test_unbelievable_times_are_refused_at_ingest_per_event(stack: Settings) -> None:
    device = new_device(stack)
    for when in EDGE_TIMES:
        items = [pass_item(1), pass_item(2, occurred_at=when)]
        response = await post_passes(stack, device, items)
        assert response.status_code == 422, (when, response.text)
        [problem] = response.json()["problems"]
        assert problem["field"] == "events.1.occurred_at"
        assert problem["message_zh"]


async def test_frames_with_unbelievable_times_get_422_not_500(stack: Settings) -> None:
    device = new_device(stack)
    url = f"http://{stack.bind_host}:{stack.ingest_port}/v1/frames"
    encoded, jpeg = cv2.imencode(".jpg", np.full((96, 96, 3), 128, np.uint8))
    assert encoded
    image = base64.b64encode(jpeg.tobytes()).decode()
    async with httpx.AsyncClient(timeout=30) as client:
        for serial, when in enumerate(EDGE_TIMES):
            body = json.dumps(
                {"serial": serial, "occurred_at": when, "direction": "in", "image_jpeg": image}
            ).encode()
            headers = sign_headers(device.secret, device.device_id, body, now=time.time())
            response = await client.post(url, content=body, headers=headers)
            assert response.status_code == 422, (when, response.text)
            assert response.json()["problems"][0]["field"] == "occurred_at"


async def test_values_injected_on_the_topics_are_dead_lettered_and_others_flow(
    stack: Settings,
) -> None:
    """Another producer writes a reset-clock pass, a year-9999 pass and a frame with bad
    base64 straight onto the topics; the gates' own passes keep being stored."""
    device, other = new_device(stack), new_device(stack)
    now = datetime.now(UTC)
    good = PassEvent(
        event_id=f"{device.device_id}:poison-1",
        device_id=device.device_id,
        project_id=device.project_id,
        worker_id="W1",
        direction=Direction.IN,
        method=PassMethod.CARD,
        occurred_at=now,
        received_at=now,
    )
    reset_clock = json.loads(good.to_json()) | {
        "event_id": f"{device.device_id}:poison-reset",
        "occurred_at": RESET_CLOCK,
    }
    year_9999 = json.loads(good.to_json()) | {
        "event_id": f"{device.device_id}:poison-9999",
        "occurred_at": "9999-12-31T23:59:59-08:00",
    }
    bad_frame = {
        "event_id": f"{device.device_id}:poison-frame",
        "device_id": device.device_id,
        "project_id": device.project_id,
        "direction": "in",
        "occurred_at": now.isoformat(),
        "received_at": now.isoformat(),
        "snapshot_ref": f"{device.project_id}/{now.date()}/x.jpg",
        "image_jpeg": "%%%not base64%%%",
    }
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    try:
        key = device.project_id.encode()
        for value in (reset_clock, year_9999):
            await producer.send_and_wait(
                stack.topic(GATE_PASSES), json.dumps(value).encode(), key=key
            )
        await producer.send_and_wait(
            stack.topic(GATE_FRAMES), json.dumps(bad_frame).encode(), key=key
        )
        await producer.send_and_wait(stack.topic(GATE_PASSES), good.to_json(), key=key)
    finally:
        await producer.stop()
    assert (await post_passes(stack, other, [pass_item(1), pass_item(2)])).status_code == 202

    await wait_until(lambda: stored_event_ids(stack, device.project_id) == [good.event_id])
    await wait_until(lambda: len(stored_event_ids(stack, other.project_id)) == 2)
    letters = await dead_letters_about(stack, {"poison-reset", "poison-9999", "poison-frame"})
    assert letters["poison-reset"]["kind"] == "event_time"
    assert "before the backlog horizon" in letters["poison-reset"]["reason"]
    assert letters["poison-9999"]["kind"] == "invalid"
    assert "out of the range" in letters["poison-9999"]["reason"]
    assert letters["poison-frame"]["kind"] == "unreadable_frame"
    assert "base64" in letters["poison-frame"]["reason"].lower()


def test_a_row_the_real_clickhouse_refuses_is_isolated_and_the_batch_written(
    stack: Settings,
) -> None:
    """Past the edge checks (an older producer, a schema change), ClickHouse 18.16 itself
    refuses a time before 1970: the sink writes the other rows and returns that one."""
    device = new_device(stack)
    now = datetime.now(UTC)

    def event(serial: int, occurred_at: datetime) -> PassEvent:
        return PassEvent(
            event_id=f"{device.device_id}:{serial}",
            device_id=device.device_id,
            project_id=device.project_id,
            worker_id=None,
            direction=Direction.IN,
            method=PassMethod.CARD,
            occurred_at=occurred_at,
            received_at=now,
        )

    before_1970 = datetime(1969, 12, 31, 15, tzinfo=UTC)
    batch = [event(serial, now) for serial in range(200)]
    batch.insert(137, event(999, before_1970))
    sink = PassSink(connect(stack.clickhouse_url))
    refused = write_isolating(batch, sink.write, is_outage=is_outage)
    assert [r.row.event_id for r in refused] == [f"{device.device_id}:999"]
    stored = stored_event_ids(stack, device.project_id)
    assert stored == sorted(f"{device.device_id}:{serial}" for serial in range(200))
