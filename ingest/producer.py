"""Publishes events to one Kafka topic and waits for the broker to acknowledge every one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer

from infra.metrics import STAGE_LATENCY


class ProjectEvent(Protocol):
    """Pass and frame events: keyed by project, so one project's events stay in order."""

    @property
    def project_id(self) -> str: ...

    def to_json(self) -> bytes: ...


class EventPublisher:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        max_request_bytes: int = 1 << 20,
        idempotent: bool = False,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._max_request_bytes = max_request_bytes
        self._idempotent = idempotent  # a production broker: no duplicates on a retry
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the producer is made here, not in __init__.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            linger_ms=2,
            request_timeout_ms=15000,
            max_request_size=self._max_request_bytes,
            enable_idempotence=self._idempotent,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, events: Sequence[ProjectEvent]) -> None:
        """Send all events keyed by project and return once the broker acknowledged them all."""
        if self._producer is None:
            raise RuntimeError("EventPublisher.start() was not awaited")
        started = time.perf_counter()
        pending = [
            await self._producer.send(
                self._topic, value=event.to_json(), key=event.project_id.encode()
            )
            for event in events
        ]
        await asyncio.gather(*pending)
        STAGE_LATENCY.labels("kafka_produce").observe(time.perf_counter() - started)
