"""Holds an attendance worker's offsets until the passes workers have stored those passes.

A worker with the attendance role but not the passes role loads its history from
ClickHouse's ``gate_passes``, which the passes workers write, and commits offsets of its
own consumer group. If it committed a pass the passes workers had not stored yet, a
restart would find that pass neither in the history nor in what Kafka replays. So each
message it is done with waits here until the passes group's committed offset of its
partition lies past it: the passes group commits only what ClickHouse holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from faust.types import EventT

from infra.retry import keep_running

log = logging.getLogger(__name__)


class StoredPasses:
    def __init__(self, bootstrap: str, *, group: str, topic: str, poll_s: float = 0.5) -> None:
        self._bootstrap = bootstrap
        self._group = group
        self._topic = topic
        self._poll_s = poll_s
        self._stored: dict[int, int] = {}  # partition → the passes group's committed offset
        self._waiting: dict[int, deque[EventT[Any]]] = defaultdict(deque)

    @property
    def waiting(self) -> int:
        """Messages done with here, whose offsets wait for the passes group (/healthz)."""
        return sum(len(queue) for queue in self._waiting.values())

    def release(self, held: list[EventT[Any]]) -> None:
        """Acknowledge each message once it is stored; keep the others until then.
        (Within a partition offsets rise, so each partition's queue is released in order.)"""
        for event in held:
            self._waiting[event.message.partition].append(event)
        self._release_stored()

    def _release_stored(self) -> None:
        for partition, queue in self._waiting.items():
            stored = self._stored.get(partition, 0)
            while queue and queue[0].message.offset < stored:
                queue.popleft().ack()

    async def run(self) -> None:
        """Follow the passes group's committed offsets until cancelled."""
        await keep_running("stored_offsets", self._follow, service="streams")

    async def _follow(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            while True:
                await asyncio.sleep(self._poll_s)
                if not self.waiting:
                    continue
                committed = await admin.list_consumer_group_offsets(self._group)
                for tp, position in committed.items():
                    if tp.topic == self._topic and position.offset >= 0:
                        self._stored[tp.partition] = position.offset
                self._release_stored()
        finally:
            await admin.close()
