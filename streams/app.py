"""The Faust app, configured to be safe on the local Tansu broker, and its agents.

Agents are thin: the work is in :class:`streams.pass_pipeline.PassPipeline`.
Processing is at least once; ClickHouse's replacing engine and the live publisher's
event_id claim in Redis make it exactly once where it shows.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, cast

import faust
from faust.streams import Stream
from faust.types import StreamT
from psycopg_pool import AsyncConnectionPool

from alerts.celery_app import create_celery
from alerts.profiles import profile_for
from alerts.streaming import StreamingRules
from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
from analytics.retention import apply_retention
from infra.metrics import exposition
from infra.redis_client import async_redis
from infra.retry import retrying
from infra.settings import Settings
from streams.alert_raiser import AlertRaiser
from streams.attendance.book import AttendanceBook
from streams.attendance.roster_facts import RosterFacts
from streams.attendance.timeline import AttendanceRules
from streams.attendance.tracker import AttendanceTracker
from streams.dead_letters import DeadLetters
from streams.device_states import DeviceStates
from streams.event_time import EventTimeWindow
from streams.faces.pipeline import FaceEngine
from streams.faces.rosters import Rosters
from streams.frame_matcher import FrameMatcher
from streams.partition_ownership import PartitionOwnership
from streams.pass_pipeline import PassPipeline
from streams.payroll_sink import PayrollSink
from streams.registry_follower import RegistryFollower
from streams.topics import (
    DEAD_LETTER,
    GATE_FRAMES,
    GATE_HEARTBEATS,
    GATE_PASSES,
    PAYROLL,
    REGISTRY,
)
from streams.transport import fetch_tuned_transport

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> faust.App:
    """A Faust app whose settings account for the broker quirks in ARCHITECTURE.md (the
    local Tansu broker); on a production broker (``SITEPULSE_KAFKA_BROKER=kafka``) Faust's
    own defaults: normal batching, sessions and fetch waits."""
    tansu = settings.kafka_broker == "tansu"
    quirks: dict[str, Any] = (
        {
            # Tansu under-reports the high watermark after multi-record batches.
            "producer_max_batch_size": 1,
            # Group joins take 30 s on Tansu unless these are short.
            "broker_session_timeout": 6,
            "broker_heartbeat_interval": 1,
        }
        if tansu
        else {}
    )
    app = faust.App(
        f"{settings.namespace}streams",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(settings.resolved_data_dir / f"streams-{settings.replica}"),
        **quirks,
        topic_partitions=settings.kafka_partitions,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_bind=settings.bind_host,
        web_port=settings.streams_port,
        web_host=settings.bind_host,
    )
    if tansu:
        app.transport = fetch_tuned_transport(app, settings.kafka_fetch_max_wait_ms)
    return app


def build(settings: Settings) -> faust.App:
    """The app with its topics, agents and web pages registered."""
    app = create_app(settings)
    passes = app.topic(settings.topic(GATE_PASSES), key_serializer="raw", value_serializer="raw")
    dead_letter = app.topic(
        settings.topic(DEAD_LETTER), key_serializer="raw", value_serializer="raw"
    )
    frames = app.topic(settings.topic(GATE_FRAMES), key_serializer="raw", value_serializer="raw")
    payroll = app.topic(settings.topic(PAYROLL), key_serializer="raw", value_serializer="raw")
    redis = async_redis(settings.redis_url)
    rosters = Rosters(threshold=settings.face_threshold, margin=settings.face_margin)
    facts = RosterFacts()
    dead_letters = DeadLetters(dead_letter)
    registry_topic = settings.topic(REGISTRY)

    async def reject_registry_value(value: bytes, reason: str) -> None:
        await dead_letters.send(registry_topic, "registry", reason, value)

    follower = RegistryFollower(
        settings.kafka_bootstrap,
        registry_topic,
        [rosters.apply, facts.apply],
        reject=reject_registry_value,
    )
    rules = AttendanceRules(
        repeat_window_s=settings.attendance_repeat_window_s,
        max_shift_h=settings.attendance_max_shift_h,
    )
    tracker = AttendanceTracker(
        AttendanceBook(rules, keep_days=settings.attendance_keep_days),
        facts,
        DriverExecutor(connect_clickhouse(settings.clickhouse_url)),
        redis,
        namespace=settings.namespace,
    )
    alert_pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=2, open=False)
    streaming_alerts = (
        StreamingRules(profile_for("")),
        AlertRaiser(alert_pool, create_celery(settings)),
    )
    device_states = DeviceStates(redis, namespace=settings.namespace, dead_letters=dead_letters)
    pipeline = PassPipeline(
        settings, redis, dead_letter, tracker, streaming_alerts, device_states=device_states
    )
    passes_topic = settings.topic(GATE_PASSES)
    ownership = PartitionOwnership(
        tracker,
        topic=passes_topic,
        # The topic's real partition count (it may predate SITEPULSE_KAFKA_PARTITIONS).
        partition_count=lambda: (
            app.consumer.topic_partitions(passes_topic) or settings.kafka_partitions
        ),
        flush=pipeline.flush,
        registry_read=follower.caught_up,
    )
    attendance_ready = ownership.ready
    engine = FaceEngine(settings.model_dir.resolve(), provider=settings.face_provider)
    engine_ready = asyncio.Event()
    matcher = FrameMatcher(
        engine,
        rosters,
        reverify=settings.face_reverify,
        passes=passes,
        dead_letter=dead_letter,
        source_topic=settings.topic(GATE_FRAMES),
        window=EventTimeWindow.of(settings),
        threads=settings.face_threads,
    )

    @app.agent(passes, name="passes")
    async def handle_passes(stream: StreamT[bytes | None]) -> None:
        batches = cast("Stream[bytes | None]", stream).take_events(
            500, within=settings.live_flush_s
        )
        async for events in batches:
            # After an assignment, no pass before its project's history is loaded.
            await attendance_ready.wait()
            await pipeline.handle(events)

    payroll_sink = PayrollSink(
        DriverExecutor(connect_clickhouse(settings.clickhouse_url)),
        dead_letters,
        settings.topic(PAYROLL),
    )

    @app.agent(payroll, name="payroll")
    async def handle_payroll(stream: StreamT[bytes | None]) -> None:
        # Faust acknowledges a batch of events when the loop body returns: after the write.
        batches = cast("Stream[bytes | None]", stream).take_events(500, within=1.0)
        async for events in batches:
            await payroll_sink.handle([event.value for event in events])

    heartbeats = app.topic(
        settings.topic(GATE_HEARTBEATS), key_serializer="raw", value_serializer="raw"
    )

    @app.agent(heartbeats, name="heartbeats")
    async def handle_heartbeats(stream: StreamT[bytes | None]) -> None:
        batches = cast("Stream[bytes | None]", stream).take_events(500, within=1.0)
        async for events in batches:
            values = [event.value for event in events]
            await device_states.heartbeats(values, source_topic=settings.topic(GATE_HEARTBEATS))

    @app.agent(frames, name="frames")
    async def handle_frames(stream: StreamT[bytes | None]) -> None:
        await engine_ready.wait()
        batches = cast("Stream[bytes | None]", stream).take_events(settings.face_batch, within=0.01)
        async for events in batches:
            await matcher.handle(events)

    @app.task  # type: ignore[untyped-decorator]
    async def load_face_models() -> None:
        await asyncio.to_thread(engine.ready)
        engine_ready.set()

    @app.task  # type: ignore[untyped-decorator]
    async def follow_registry() -> None:
        await follower.run()

    @app.task  # type: ignore[untyped-decorator]
    async def open_alert_pool() -> None:
        await alert_pool.open()

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        await ownership.revoked(args[0])

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def on_assigned(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        ownership.assigned(args[0])

    @app.timer(interval=6 * 3600.0)  # type: ignore[untyped-decorator]
    async def apply_clickhouse_retention() -> None:
        keep = {
            "gate_passes": settings.pass_retention_months,
            "attendance_days": settings.attendance_retention_months,
        }
        db = DriverExecutor(connect_clickhouse(settings.clickhouse_url))
        today = datetime.now(UTC).date()
        await retrying("clickhouse", lambda: asyncio.to_thread(apply_retention, db, today, keep))

    @app.timer(interval=60.0)  # type: ignore[untyped-decorator]
    async def expire_sessions() -> None:
        if attendance_ready.is_set():
            await pipeline.refresh_attendance(expire=True)

    @app.timer(interval=max(settings.sink_flush_s / 4, 0.05))  # type: ignore[untyped-decorator]
    async def flush_passes() -> None:
        if attendance_ready.is_set():
            await pipeline.refresh_attendance(expire=False)
        await pipeline.flush_if_due()

    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        """Ready only once the consumer holds partitions: the web server starts earlier."""
        await redis.ping()
        partitions = len(app.consumer.assignment())
        body = {
            "status": "ok",
            "service": "streams",
            "partitions": partitions,
            "face_provider": engine.provider,
        }
        if app.rebalancing or not partitions:
            return view.json({**body, "status": "joining consumer group"}, status=503)
        if not engine_ready.is_set():
            return view.json({**body, "status": "loading face models"}, status=503)
        if not follower.caught_up.is_set():
            return view.json({**body, "status": "reading the registry"}, status=503)
        if not attendance_ready.is_set():
            done, total = tracker.progress or (0, 0)
            status = f"loading recent attendance ({done} of {total} projects)"
            return view.json({**body, "status": status}, status=503)
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
    (settings.resolved_data_dir / f"streams-{settings.replica}").mkdir(parents=True, exist_ok=True)
    app = build(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
