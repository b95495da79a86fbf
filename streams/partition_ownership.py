"""Attendance state follows the consumer group's assignment of ``gate.passes`` (see
:meth:`streams.attendance.tracker.AttendanceTracker.hold`).

On an assignment the passes agent stops (``ready`` cleared) until the tracker holds exactly
the assigned partitions' projects, their recent history loaded; a newer assignment cancels
a load still running. (On a revocation the worker writes what waits: streams/roles.py.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime

from infra.retry import retrying
from streams.attendance.tracker import AttendanceTracker

log = logging.getLogger(__name__)


class PartitionOwnership:
    def __init__(
        self,
        tracker: AttendanceTracker,
        *,
        topic: str,
        partition_count: Callable[[], int],
        registry_read: asyncio.Event,
    ) -> None:
        self.ready = asyncio.Event()  # the tracker holds what is assigned, history loaded
        self._tracker = tracker
        self._topic = topic
        self._partition_count = partition_count
        self._registry_read = registry_read
        self._loading: asyncio.Task[None] | None = None

    def revoked(self, partitions: Collection[int]) -> None:
        """Some of the topic's partitions went: nothing more until the next assignment."""
        if partitions:
            self.ready.clear()

    def assigned(self, partitions: Iterable[int]) -> None:
        """The topic's partitions now assigned (all of them, not the change)."""
        self.ready.clear()
        if self._loading is not None:
            self._loading.cancel()
        self._loading = asyncio.create_task(self._hold(set(partitions)))

    async def _hold(self, partitions: set[int]) -> None:
        await self._registry_read.wait()  # roster facts (exits) before the history
        now = datetime.now(UTC)
        count = self._partition_count()
        loaded = await retrying("clickhouse", lambda: self._tracker.hold(partitions, count, now))
        log.info(
            "holding partitions %s of %s (%d recent passes loaded)",
            sorted(partitions),
            self._topic,
            loaded,
        )
        self.ready.set()
