"""The Faust app, configured to be safe on the local Tansu broker, and its agents.

Agents are thin: they decode with :mod:`streams.passes`, write with
:class:`analytics.sink.PassSink` and publish with :class:`streams.live.LivePublisher`.
Processing is at least once; ClickHouse's replacing engine and the live publisher's
event_id claim in Redis make it exactly once where it shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
from faust.types import StreamT
from redis.asyncio import Redis

from analytics.clickhouse import connect as connect_clickhouse
from analytics.sink import PassSink
from infra.metrics import ERRORS, EVENTS, STAGE_LATENCY, exposition, observe_delay
from infra.settings import Settings
from streams.live import LivePublisher
from streams.passes import decode_passes, unique_by_event_id
from streams.topics import DEAD_LETTER, GATE_PASSES
from streams.transport import fetch_tuned_transport

log = logging.getLogger(__name__)
T = TypeVar("T")
_RETRY_DELAYS_S = (0.5, 1, 2, 5, 10)


def create_app(settings: Settings) -> faust.App:
    """A Faust app whose settings account for the broker quirks in ARCHITECTURE.md."""
    app = faust.App(
        f"{settings.namespace}streams",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(settings.resolved_data_dir / "streams"),
        # Tansu under-reports the high watermark after multi-record batches.
        producer_max_batch_size=1,
        # Group joins take 30 s on Tansu unless these are short.
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        topic_partitions=settings.kafka_partitions,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_bind=settings.bind_host,
        web_port=settings.streams_port,
        web_host=settings.bind_host,
    )
    app.transport = fetch_tuned_transport(app, settings.kafka_fetch_max_wait_ms)
    return app


async def _retrying(what: str, operation: Callable[[], Awaitable[T]]) -> T:
    """Retry until the store answers, with capped backoff.

    The stream waits rather than drops a batch: offsets are not committed meanwhile, and
    ``sitepulse_errors_total{kind=<what>}`` shows the outage.
    """
    attempt = 0
    while True:
        try:
            return await operation()
        except Exception:
            ERRORS.labels("streams", what).inc()
            delay = _RETRY_DELAYS_S[min(attempt, len(_RETRY_DELAYS_S) - 1)]
            attempt += 1
            log.exception("%s failed (attempt %d), retrying in %ss", what, attempt, delay)
            await asyncio.sleep(delay)


class SinkProcessor:
    """Writes batches of ``gate.passes`` to ClickHouse; dead-letters what cannot be parsed."""

    def __init__(self, settings: Settings, dead_letter: Any) -> None:
        self._sink = PassSink(connect_clickhouse(settings.clickhouse_url))
        self._dead_letter = dead_letter
        self._source = settings.topic(GATE_PASSES)

    async def process(self, raw_values: list[bytes | None]) -> None:
        batch = decode_passes(raw_values, source_topic=self._source, now=datetime.now(UTC))
        for letter in batch.dead_letters:
            log.warning("dead-lettering a %s value: %s", self._source, letter.reason)
            await self._dead_letter.send(key=self._source.encode(), value=letter.to_json())
            EVENTS.labels("streams", "dead_letter").inc()
        events = unique_by_event_id(batch.events)

        def write() -> Awaitable[float]:
            return asyncio.to_thread(self._sink.write, events)

        seconds = await _retrying("clickhouse", write)
        STAGE_LATENCY.labels("clickhouse_insert").observe(seconds)
        now = datetime.now(UTC)
        for event in events:
            observe_delay("stored", event.occurred_at, now)
        EVENTS.labels("streams", "stored").inc(len(events))


class LiveProcessor:
    """Publishes each new pass on its project's Redis channel, in small fast batches.

    Bad values are skipped here; :class:`SinkProcessor` dead-letters them once.
    """

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self._live = LivePublisher(
            redis, namespace=settings.namespace, dedupe_ttl_s=settings.live_dedupe_ttl_s
        )
        self._source = settings.topic(GATE_PASSES)

    async def process(self, raw_values: list[bytes | None]) -> None:
        batch = decode_passes(raw_values, source_topic=self._source, now=datetime.now(UTC))

        def publish() -> Awaitable[int]:
            return self._live.publish_new(batch.events)

        published = await _retrying("redis", publish)
        EVENTS.labels("streams", "published").inc(published)
        now = datetime.now(UTC)
        for event in batch.events:
            observe_delay("published", event.occurred_at, now)


def build(settings: Settings) -> faust.App:
    """The app with its topics, agents and web pages registered."""
    app = create_app(settings)
    passes = app.topic(settings.topic(GATE_PASSES), key_serializer="raw", value_serializer="raw")
    dead_letter = app.topic(
        settings.topic(DEAD_LETTER), key_serializer="raw", value_serializer="raw"
    )
    redis = Redis.from_url(settings.redis_url)
    sink = SinkProcessor(settings, dead_letter)
    live = LiveProcessor(settings, redis)

    # Two agents read the same topic: ClickHouse wants big batches (1000 rows or 1 s),
    # dashboards want each pass within milliseconds.
    @app.agent(passes, name="sink_passes")
    async def sink_passes(stream: StreamT[bytes | None]) -> None:
        async for values in stream.take(settings.sink_batch_rows, within=settings.sink_flush_s):
            await sink.process(list(values))

    @app.agent(passes, name="live_passes")
    async def live_passes(stream: StreamT[bytes | None]) -> None:
        async for values in stream.take(500, within=settings.live_flush_s):
            await live.process(list(values))

    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        """Ready only once the consumer holds partitions: the web server starts earlier."""
        await redis.ping()
        partitions = len(app.consumer.assignment())
        body = {"status": "ok", "service": "streams", "partitions": partitions}
        if app.rebalancing or not partitions:
            return view.json({**body, "status": "joining consumer group"}, status=503)
        return view.json(body)

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        body, content_type = exposition()
        # aiohttp takes the charset separately and refuses it inside the content type.
        bare_type = ";".join(p for p in content_type.split(";") if "charset" not in p)
        return view.bytes(body, content_type=bare_type.strip())

    return app


def run_worker(settings: Settings) -> None:
    """Run the streams worker in the foreground until stopped."""
    (settings.resolved_data_dir / "streams").mkdir(parents=True, exist_ok=True)
    app = build(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
