"""A bad value on a topic goes to the dead-letter topic with its reason; the stream goes on."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from infra.settings import Settings
from streams.topics import GATE_PASSES

from .helpers import (
    dead_letters_about,
    new_device,
    pass_item,
    post_passes,
    stored_event_ids,
    wait_until,
)


async def test_bad_event_is_dead_lettered_and_later_events_still_flow(stack: Settings) -> None:
    device = new_device(stack)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            stack.topic(GATE_PASSES), b'{"event_id": "broken-1"}', key=device.project_id.encode()
        )
    finally:
        await producer.stop()

    assert (await post_passes(stack, device, [pass_item(1)])).status_code == 202
    await wait_until(
        lambda: stored_event_ids(stack, device.project_id) == [f"{device.device_id}:1"]
    )

    letter = (await dead_letters_about(stack, {"broken-1"}))["broken-1"]
    assert letter["source_topic"] == stack.topic(GATE_PASSES)
    assert "device_id: Field required" in letter["reason"]
