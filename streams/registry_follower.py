"""Reads the whole compacted ``registry`` topic, then follows it, into in-memory views
(the face galleries, the roster facts attendance groups by).

No consumer group: every streams worker needs every project's roster (frames of any
project may land on any worker), so each one reads all partitions from the beginning.
:attr:`RegistryFollower.caught_up` is set once the backlog has been read; the worker is
not ready before that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.metrics import ERRORS, EVENTS
from infra.retry import keep_running
from streams.records import RegistryChange

log = logging.getLogger(__name__)


class RegistryFollower:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        views: Sequence[Callable[[RegistryChange], None]],
        *,
        reject: Callable[[bytes, str], Awaitable[None]],
        poll_s: float = 0.25,
    ) -> None:
        self._reject = reject
        self._bootstrap = bootstrap
        self._topic = topic
        self._views = views
        self._poll_s = poll_s
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        """Follow until cancelled, starting over (from the beginning) after a failure."""
        await keep_running("registry", self._follow, service="streams")

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=20,  # see streams/transport.py: Tansu holds fetches this long
        )
        await consumer.start()
        try:
            await consumer.topics()
            partitions = [
                TopicPartition(self._topic, number)
                for number in sorted(consumer.partitions_for_topic(self._topic) or ())
            ]
            if not partitions:
                raise RuntimeError(f"topic {self._topic} has no partitions (is it created?)")
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            await self._read_to_end(consumer, partitions)
            self.caught_up.set()
            log.info("registry read; following changes every %.2f s", self._poll_s)
            while True:
                # Tansu serves one held fetch at a time, so a consumer that always has a
                # fetch waiting delays every other consumer's fetches (gate→dashboard p50
                # went from 33 to 143 ms). Between reads the partitions are paused, and the
                # cheap, never-held offsets request says when there is something to read.
                consumer.pause(*partitions)
                await asyncio.sleep(self._poll_s)
                ends = await consumer.end_offsets(partitions)
                behind = [tp for tp in partitions if await consumer.position(tp) < ends[tp]]
                if behind:
                    consumer.resume(*behind)
                    await self._read_to_end(consumer, behind)
        finally:
            await consumer.stop()

    async def _read_to_end(
        self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
    ) -> None:
        ends = await consumer.end_offsets(partitions)
        while True:
            batches = await consumer.getmany(*partitions, timeout_ms=300, max_records=2000)
            for records in batches.values():
                for record in records:
                    refusal = self._apply(record.value)
                    if refusal is not None:
                        await self._reject(record.value, refusal)
            if not batches or await self._reached(consumer, ends):
                return

    @staticmethod
    async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
        for partition, end in ends.items():
            if await consumer.position(partition) < end:
                return False
        return True

    def _apply(self, value: bytes | None) -> str | None:
        """Apply one value to every view; the reason when it cannot be applied.

        A value no view can read is skipped (and dead-lettered by the caller) instead of
        starting the follower over on it forever."""
        if not value:
            return None  # a tombstone
        try:
            change = RegistryChange.model_validate_json(value)
            for apply in self._views:
                apply(change)
        except Exception as exc:
            ERRORS.labels("streams", "registry_value").inc()
            log.warning("skipping an unreadable registry value: %s", type(exc).__name__)
            return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        EVENTS.labels("streams", "registry_applied").inc()
        return None
