"""Where an attendance worker apart from the passes workers starts reading ``gate.passes``.

Such a worker loads its history from ClickHouse's ``gate_passes``, which the passes
workers write, and commits offsets of its own consumer group. When it has committed a
pass the passes workers had not stored yet, a restart would find that pass neither in
the history nor in what Kafka replays. So on each assignment every partition starts at
the lesser of the worker's own committed offset and the passes group's, which the passes
group commits only once ClickHouse holds the passes: what lies between is read again (the
tracker takes a pass it already holds as a replay, and writes that worker's days again).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP


def replay_points(own: Mapping[TP, int | None], stored: Mapping[int, int]) -> dict[TP, int]:
    """The partitions to start earlier than ``own`` (this group's committed offsets), at
    the passes group's ``stored`` offset, or at the beginning where the passes group has
    committed nothing (it reads from the beginning too); pure."""
    return {
        tp: stored.get(tp.partition, 0)
        for tp, offset in own.items()
        if offset is not None and stored.get(tp.partition, 0) < offset
    }


class StoredPasses:
    """Reads the passes group's committed offsets without joining the group or committing."""

    def __init__(self, bootstrap: str, *, group: str, topic: str) -> None:
        self._bootstrap = bootstrap
        self._group = group
        self.topic = topic

    async def offsets(self, partitions: set[int]) -> dict[int, int]:
        """The passes group's committed offset of each partition it has committed."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=self._group, enable_auto_commit=False
        )
        await reader.start()
        try:
            stored = {}
            for partition in sorted(partitions):
                offset = await reader.committed(TopicPartition(self.topic, partition))
                if offset is not None and offset >= 0:
                    stored[partition] = offset
            return stored
        finally:
            await reader.stop()

    async def rewind(self, committed: Mapping[TP, int | None]) -> dict[TP, int]:
        """Where to start instead of ``committed`` (this worker's own offsets)."""
        own = {tp: offset for tp, offset in committed.items() if tp.topic == self.topic}
        if not own:
            return {}
        return replay_points(own, await self.offsets({tp.partition for tp in own}))
