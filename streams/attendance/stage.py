"""What the attendance role does with ``gate.passes``: each batch's passes go to the
tracker, and the days they changed wait in :class:`~streams.batched_writes.BatchedWrites`
for one ClickHouse insert into ``attendance_days``; presence goes to Redis on a timer.

Values that are not valid passes are skipped here: the passes role dead-letters them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord, latest_per_day
from analytics.executor import Executor
from infra.metrics import EVENTS, observe_delays
from infra.retry import retrying
from infra.settings import Settings
from streams.attendance.tracker import AttendanceTracker
from streams.batched_writes import BatchedWrites, Receipt, write_isolated
from streams.dead_letters import DeadLetters
from streams.passes import DecodedBatch


class AttendanceStage:
    def __init__(
        self,
        settings: Settings,
        tracker: AttendanceTracker,
        db: Executor,
        dead_letters: DeadLetters,
    ) -> None:
        self._tracker = tracker
        self._db = db
        self._dead_letters = dead_letters
        self._writes: BatchedWrites[AttendanceRecord] = BatchedWrites(
            self._store,
            max_rows=settings.sink_batch_rows,
            max_age_s=settings.sink_flush_s,
        )

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None:
        """The days a batch of passes changed, queued for ClickHouse; ``receipt`` is
        released once they are written. (Its dead letters are the passes role's.)"""
        now = batch.decoded_at
        records = await self._tracker.observe(batch.events, now)
        observe_delays("attendance", (passed.occurred_at for passed in batch.events), now)
        EVENTS.labels("streams", "attendance_observed").inc(len(batch.events))
        self._writes.add(records, [receipt])
        await self._writes.flush_if_due()

    async def refresh(self, *, expire: bool) -> None:
        """Roster exits (and, with ``expire``, overdue sessions) become days; the presence
        of the projects that changed is published."""
        now = datetime.now(UTC)
        tracker = self._tracker
        self._writes.add(await tracker.refresh(now, expire=expire))
        await retrying("redis", lambda: tracker.publish_changed_presence(now))
        await self._writes.flush_if_due()

    async def flush(self) -> None:
        await self._writes.flush()

    async def _store(self, rows: list[AttendanceRecord]) -> None:
        days = [record.row() for record in latest_per_day(rows)]

        def insert(batch: Any) -> None:
            self._db.insert("attendance_days", ATTENDANCE_COLUMNS, batch)

        refused = await write_isolated("attendance_days", days, insert)
        for day in refused:
            payload = json.dumps(dict(zip(ATTENDANCE_COLUMNS, day.row, strict=True)), default=str)
            await self._dead_letters.send(
                "attendance_days", "store_refused", day.reason, payload.encode()
            )
        EVENTS.labels("streams", "attendance_rows").inc(len(days) - len(refused))
