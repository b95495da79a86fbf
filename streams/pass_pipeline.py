"""What the streams worker does with ``gate.passes``: one pass through Faust per event.

Each small batch (milliseconds apart) is published live at once; its rows wait in a
:class:`~streams.sink_buffer.SinkBuffer` for one large ClickHouse insert (1,000 rows or
once a second). Until that insert succeeds, every event keeps one extra reference on
its Kafka message, so its offset cannot be committed: a crash replays it, and the
replacing engine plus the live publisher's event_id claim make the replay harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from faust.types import EventT, TopicT
from redis.asyncio import Redis

from alerts.streaming import StreamingRules
from analytics.attendance_sink import ATTENDANCE_COLUMNS, AttendanceRecord, latest_per_day
from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
from analytics.isolation import Refused, write_isolating
from analytics.sink import PassSink
from infra.metrics import ERRORS, EVENTS, STAGE_LATENCY, observe_delays
from infra.outages import is_outage
from infra.retry import retrying
from infra.settings import Settings
from streams.alert_raiser import AlertRaiser
from streams.attendance.tracker import AttendanceTracker
from streams.dead_letters import DeadLetters
from streams.device_states import DeviceStates
from streams.event_time import EventTimeWindow
from streams.live import LivePublisher
from streams.passes import decode_passes, unique_by_event_id
from streams.records import PassEvent
from streams.sink_buffer import SinkBuffer
from streams.topics import GATE_PASSES

log = logging.getLogger(__name__)
Row = TypeVar("Row")


class PassPipeline:
    """Passes → live channel, ClickHouse ``gate_passes`` and, through the attendance
    tracker, ``attendance_days``; both tables are written before any offset is released."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        dead_letter: TopicT,
        attendance: AttendanceTracker | None = None,
        alerts: tuple[StreamingRules, AlertRaiser] | None = None,
        device_states: DeviceStates | None = None,
    ) -> None:
        client = connect_clickhouse(settings.clickhouse_url)
        self._sink = PassSink(client)
        self._attendance_db = DriverExecutor(client)
        self._attendance = attendance
        self._alerts = alerts
        self._device_states = device_states
        self._live = LivePublisher(
            redis, namespace=settings.namespace, dedupe_ttl_s=settings.live_dedupe_ttl_s
        )
        self._dead_letters = DeadLetters(dead_letter)
        self._source = settings.topic(GATE_PASSES)
        self._window = EventTimeWindow.of(settings)
        self._buffer: SinkBuffer[PassEvent | AttendanceRecord, EventT[Any]] = SinkBuffer(
            max_rows=settings.sink_batch_rows, max_age_s=settings.sink_flush_s
        )
        self._flush_lock = asyncio.Lock()
        self._flushing: asyncio.Task[None] | None = None
        # Back-pressure: past this many waiting rows, handle() waits for the write.
        self._max_waiting = 10 * settings.sink_batch_rows

    async def handle(self, events: Sequence[EventT[Any]]) -> None:
        """Publish a batch live, dead-letter its bad values, queue its rows for ClickHouse."""
        batch = decode_passes(
            [item.value for item in events],
            source_topic=self._source,
            now=datetime.now(UTC),
            window=self._window,
        )
        for letter in batch.dead_letters:
            await self._dead_letters.send_letter(letter)
            EVENTS.labels("streams", "dead_letter").inc()

        def publish() -> Awaitable[int]:
            return self._live.publish_new(batch.events)

        try:
            published = await retrying("redis", publish)
        except Exception:  # Redis refused: the live feed misses these, storage goes on
            ERRORS.labels("streams", "live_publish").inc()
            log.exception("publishing %d passes live failed", len(batch.events))
            published = 0
        now = datetime.now(UTC)
        observe_delays("published", (passed.occurred_at for passed in batch.events), now)
        EVENTS.labels("streams", "published").inc(published)
        await self._raise_alerts(batch.events)
        await self._note_last_passes(batch.events)
        records: list[AttendanceRecord] = []
        if self._attendance is not None:
            records = await self._attendance.observe(batch.events, now)
        for item in events:
            # Faust acks the batch when this returns; the extra reference keeps each
            # offset uncommitted until flush() has written the rows.
            item.message.incref()
        self._buffer.add([*batch.events, *records], list(events), now=time.monotonic())
        await self.flush_if_due()

    async def _raise_alerts(self, events: Sequence[PassEvent]) -> None:
        """The streaming alert rules; a failure is counted and logged, never stops passes
        (the scheduled evaluation judges the same conditions a minute later)."""
        if self._alerts is None:
            return
        rules, raiser = self._alerts
        findings = [found for event in events for found in rules.observe(event)]
        if not findings:
            return
        try:
            await raiser.raise_findings(findings)
        except Exception:
            ERRORS.labels("streams", "streaming_alerts").inc()
            log.exception("raising %d streaming alerts failed", len(findings))

    async def _note_last_passes(self, events: Sequence[PassEvent]) -> None:
        """Each gate's last pass for the device tables; a Redis failure is counted."""
        if self._device_states is None or not events:
            return
        try:
            await self._device_states.passes(events)
        except Exception:
            ERRORS.labels("streams", "device_state").inc()
            log.exception("noting the last pass of %d passes failed", len(events))

    async def refresh_attendance(self, *, expire: bool) -> None:
        """Roster exits (and, with ``expire``, overdue sessions) become attendance rows."""
        tracker = self._attendance
        if tracker is None:
            return
        now = datetime.now(UTC)
        records = await tracker.refresh(now, expire=expire)
        self._buffer.add(list(records), [], now=time.monotonic())
        await retrying("redis", lambda: tracker.publish_changed_presence(now))

    async def flush_if_due(self) -> None:
        """Start a write in the background when a batch is due; the stream keeps flowing.

        Also called on a timer, so a quiet stream still writes within ``sink_flush_s``.
        """
        if self._flushing is not None and self._flushing.done():
            self._flushing.result()  # surfaces a write that failed for good
            self._flushing = None
        if self._flushing is None and self._buffer.due(now=time.monotonic()):
            self._flushing = asyncio.create_task(self.flush())
        elif self._flushing is not None and len(self._buffer) >= self._max_waiting:
            await asyncio.shield(self._flushing)

    async def flush(self) -> None:
        async with self._flush_lock:
            rows, holds = self._buffer.take()
            events = unique_by_event_id(row for row in rows if isinstance(row, PassEvent))
            records = [
                record.row()
                for record in latest_per_day(r for r in rows if isinstance(r, AttendanceRecord))
            ]
            if records:

                def write_attendance(rows: Sequence[tuple[Any, ...]]) -> None:
                    self._attendance_db.insert("attendance_days", ATTENDANCE_COLUMNS, rows)

                refused_days = await self._write("attendance_days", records, write_attendance)
                for day in refused_days:
                    payload = json.dumps(
                        dict(zip(ATTENDANCE_COLUMNS, day.row, strict=True)), default=str
                    )
                    await self._dead_letters.send(
                        "attendance_days", "store_refused", day.reason, payload.encode()
                    )
                EVENTS.labels("streams", "attendance_rows").inc(len(records) - len(refused_days))
            if events:
                started = time.perf_counter()
                refused = await self._write("gate_passes", events, self._sink.write)
                STAGE_LATENCY.labels("clickhouse_insert").observe(time.perf_counter() - started)
                for rejected in refused:
                    await self._dead_letters.send(
                        self._source, "store_refused", rejected.reason, rejected.row.to_json()
                    )
                observe_delays("stored", (event.occurred_at for event in events))
                EVENTS.labels("streams", "stored").inc(len(events) - len(refused))
            for hold in holds:
                hold.ack()  # the last reference: the offset may now be committed

    @staticmethod
    async def _write(
        table: str, rows: Sequence[Row], write: Callable[[Sequence[Row]], object]
    ) -> list[Refused[Row]]:
        """Write ``rows`` to ClickHouse, waiting out outages; the rows it refuses come
        back with its reason, and the others are written."""

        def isolate() -> Awaitable[list[Refused[Row]]]:
            return asyncio.to_thread(write_isolating, rows, write, is_outage=is_outage)

        refused = await retrying("clickhouse", isolate)
        if refused:
            log.warning("ClickHouse refused %d of %d rows of %s", len(refused), len(rows), table)
        return refused
