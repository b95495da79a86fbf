"""The live publisher on the real Redis: each new pass on its project's channel, once."""

from __future__ import annotations

import asyncio
import uuid

from infra.redis_client import async_redis
from infra.settings import Settings
from streams.channels import project_channel
from streams.live import LivePublisher
from streams.live_messages import PassMessage, parse_live
from streams.records import PassEvent
from tests.passes import pass_event


async def test_each_new_pass_reaches_its_project_channel_once(stack: Settings) -> None:
    namespace = f"live{uuid.uuid4().hex[:6]}."
    redis = async_redis(stack.redis_url)
    publisher = LivePublisher(redis, namespace=namespace, dedupe_ttl_s=60)
    a, b = f"PA{uuid.uuid4().hex[:6]}", f"PB{uuid.uuid4().hex[:6]}"
    # A newline, a quote and Chinese in a value: the batch travels as joined text.
    batch = [pass_event(a, 1, 'line\n"two" 门禁'), pass_event(b, 2), pass_event(a, 3)]
    subscription = redis.pubsub()
    await subscription.subscribe(project_channel(namespace, a), project_channel(namespace, b))
    try:
        assert await publisher.publish_new(batch) == 3
        # Replayed with one new pass: only that one is published.
        fresh = pass_event(b, 4)
        assert await publisher.publish_new([*batch, fresh]) == 1
        received: list[tuple[str, PassEvent]] = []
        async with asyncio.timeout(10):
            while len(received) < 4:
                message = await subscription.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is None:
                    continue
                live = parse_live(message["data"])
                assert isinstance(live, PassMessage)
                channel = message["channel"]
                name = channel.decode() if isinstance(channel, bytes) else channel
                received.append((name, live.event))
        # In order, each on its own project's channel, the text intact.
        assert received == [
            (project_channel(namespace, event.project_id), event) for event in [*batch, fresh]
        ]
        assert received[0][1].snapshot_ref == 'line\n"two" 门禁'
    finally:
        await subscription.unsubscribe()
        await redis.aclose()
