"""What the passes role does with ``gate.passes``, in a process of its own
(:mod:`streams.role_process`).

Each small batch (milliseconds apart) is published live at once; its rows wait in
:class:`~streams.batched_writes.BatchedWrites` for one large ClickHouse insert, and its
receipt (the batch's offsets) until that insert succeeded (the live publisher's event_id
claim makes a replay harmless there too). Attendance is another role:
:mod:`streams.attendance.stage`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Sequence

from redis.asyncio import Redis

from alerts.streaming import StreamingRules
from analytics.clickhouse import connect as connect_clickhouse
from analytics.sink import PassSink
from infra.metrics import ERRORS, EVENTS, STAGE_LATENCY, observe_delays
from infra.retry import retrying
from infra.settings import Settings
from streams.alert_raiser import AlertRaiser
from streams.batched_writes import BatchedWrites, Receipt, write_isolated
from streams.dead_letters import DeadLetters
from streams.device_states import DeviceStates
from streams.live import LivePublisher
from streams.passes import DecodedBatch, unique_by_event_id
from streams.records import PassEvent
from streams.topics import GATE_PASSES

log = logging.getLogger(__name__)


class PassPipeline:
    """Passes → live channel and ClickHouse ``gate_passes``, written before any offset is
    released; with the streaming alert rules and each gate's last pass on the way."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        dead_letters: DeadLetters,
        alerts: tuple[StreamingRules, AlertRaiser] | None = None,
        device_states: DeviceStates | None = None,
    ) -> None:
        self._sink = PassSink(connect_clickhouse(settings.clickhouse_url))
        self._alerts = alerts
        self._device_states = device_states
        self._live = LivePublisher(
            redis, namespace=settings.namespace, dedupe_ttl_s=settings.live_dedupe_ttl_s
        )
        self._dead_letters = dead_letters
        self._source = settings.topic(GATE_PASSES)
        self._writes: BatchedWrites[PassEvent] = BatchedWrites(
            self._store, max_rows=settings.sink_batch_rows, max_age_s=settings.sink_flush_s
        )

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None:
        """Publish a batch live, dead-letter its bad values, queue its rows for ClickHouse;
        ``receipt`` is released once they are written."""
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
        observe_delays("published", (passed.occurred_at for passed in batch.events))
        EVENTS.labels("streams", "published").inc(published)
        await self._raise_alerts(batch.events)
        await self._note_last_passes(batch.events)
        self._writes.add(batch.events, [receipt])
        await self._writes.flush_if_due()

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

    async def flush_if_due(self) -> None:
        await self._writes.flush_if_due()

    async def flush(self) -> None:
        await self._writes.flush()

    async def _store(self, rows: list[PassEvent]) -> None:
        events = unique_by_event_id(rows)
        started = time.perf_counter()
        refused = await write_isolated("gate_passes", events, self._sink.write)
        STAGE_LATENCY.labels("clickhouse_insert").observe(time.perf_counter() - started)
        for rejected in refused:
            await self._dead_letters.send(
                self._source, "store_refused", rejected.reason, rejected.row.to_json()
            )
        observe_delays("stored", (event.occurred_at for event in events))
        EVENTS.labels("streams", "stored").inc(len(events) - len(refused))
