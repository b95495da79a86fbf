"""The Faust app, configured to be safe on the local Tansu broker, with its roles' agents
(:mod:`streams.roles`) and its pages (``/healthz``, ``/metrics``).

A worker has roles (``SITEPULSE_STREAMS_ROLES``): passes, attendance, faces, heartbeats
and payroll, all in one process by default; a role apart is a consumer group of its own,
so a province runs each role in as many processes as it needs. Agents are thin: the work
is in :class:`streams.pass_pipeline.PassPipeline` and
:class:`streams.attendance.stage.AttendanceStage` (each in a process of its own,
:mod:`streams.role_process`) and :class:`streams.frame_matcher.FrameMatcher`. Processing
is at least once; ClickHouse's replacing engines and the live publisher's event_id claim
in Redis make it exactly once where it shows.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

import faust

from infra.metrics import exposition
from infra.redis_client import async_redis
from infra.settings import Settings
from streams.dead_letters import DeadLetters
from streams.registry_follower import RegistryFollower
from streams.roles import Shared, register_roles
from streams.stored_passes import StoredPasses
from streams.topics import DEAD_LETTER, GATE_PASSES, REGISTRY
from streams.transport import Rewind, tuned_transport

log = logging.getLogger(__name__)


def _data_dir(settings: Settings) -> Path:
    group = settings.streams_group.removeprefix(settings.namespace)
    return settings.resolved_data_dir / f"{group}-{settings.replica}"


def create_app(settings: Settings, *, rewind: Rewind | None = None) -> faust.App:
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
        settings.streams_group,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(_data_dir(settings)),
        **quirks,
        topic_partitions=settings.kafka_partitions,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        web_enabled=True,
        web_bind=settings.bind_host,
        web_port=settings.streams_port,
        web_host=settings.bind_host,
    )
    app.transport = tuned_transport(
        app,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms if tansu else None,
        prefetch_backoff_s=settings.kafka_prefetch_backoff_ms / 1000,
        rewind=rewind,
    )
    return app


def build(settings: Settings) -> faust.App:
    """The app with the topics, agents and web pages of its roles registered."""
    stored = None
    if settings.roles == {"attendance"}:
        stored = StoredPasses(
            settings.kafka_bootstrap,
            group=settings.streams_group_of("passes"),
            topic=settings.topic(GATE_PASSES),
        )
    app = create_app(settings, rewind=None if stored is None else stored.rewind)
    dead_letter = app.topic(
        settings.topic(DEAD_LETTER), key_serializer="raw", value_serializer="raw"
    )
    shared = Shared(
        settings, app, async_redis(settings.redis_url), dead_letter, DeadLetters(dead_letter)
    )
    registry_topic = settings.topic(REGISTRY)

    async def reject_registry_value(value: bytes, reason: str) -> None:
        await shared.dead_letters.send(registry_topic, "registry", reason, value)

    follower = RegistryFollower(
        settings.kafka_bootstrap,
        registry_topic,
        shared.registry_views,
        reject=reject_registry_value,
    )
    checks = register_roles(shared)
    if shared.registry_views:

        @app.task  # type: ignore[untyped-decorator]
        async def follow_registry() -> None:
            await follower.run()

        checks.insert(0, lambda: None if follower.caught_up.is_set() else "reading the registry")

    @app.page("/healthz")
    async def healthz(view: Any, request: Any) -> Any:
        """Ready only once the consumer holds partitions (the web server starts earlier)
        and each role is ready."""
        await shared.redis.ping()
        partitions = len(app.consumer.assignment())
        body = {
            "status": "ok",
            "service": "streams",
            "roles": sorted(settings.roles),
            "group": settings.streams_group,
            "partitions": partitions,
            **{name: read() for name, read in shared.health.items()},
        }
        if app.rebalancing or not partitions:
            return view.json({**body, "status": "joining consumer group"}, status=503)
        for check in checks:
            waiting = check()
            if waiting is not None:
                return view.json({**body, "status": waiting}, status=503)
        return view.json(body)

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        more = [family for source in shared.metric_sources for family in await source()]
        body, content_type = exposition(more)
        # aiohttp takes the charset separately and refuses it inside the content type.
        bare_type = ";".join(p for p in content_type.split(";") if "charset" not in p)
        return view.bytes(body, content_type=bare_type.strip())

    return app


def run_worker(settings: Settings) -> None:
    """Run the streams worker in the foreground until stopped."""
    _data_dir(settings).mkdir(parents=True, exist_ok=True)
    app = build(settings)
    # What start-up made (modules, the app, its agents) lives as long as the process: out
    # of the collector's sight, a full collection walks only what the stream allocates.
    gc.collect()
    gc.freeze()
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
