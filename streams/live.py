"""Publishes each new pass once on the project's Redis channel (deduplicated by event_id)."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from realtime.channels import pass_message, project_channel
from streams.records import PassEvent


class LivePublisher:
    def __init__(self, redis: Redis, *, namespace: str, dedupe_ttl_s: int) -> None:
        self._redis = redis
        self._namespace = namespace
        self._ttl_s = dedupe_ttl_s

    async def publish_new(self, events: Sequence[PassEvent]) -> int:
        """Publish the events not published before; returns how many were new."""
        if not events:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.set(f"{self._namespace}seen.pass.{event.event_id}", 1, nx=True, ex=self._ttl_s)
            claimed = await pipe.execute()
        fresh = [event for event, is_new in zip(events, claimed, strict=True) if is_new]
        if fresh:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in fresh:
                    pipe.publish(
                        project_channel(self._namespace, event.project_id), pass_message(event)
                    )
                await pipe.execute()
        return len(fresh)
