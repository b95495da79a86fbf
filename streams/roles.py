"""Each streams role's topics, agents, tasks and hooks, registered on the worker's Faust
app (:func:`register_roles`); :mod:`streams.app` builds the app and its pages around them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import faust
from faust.streams import Stream
from faust.types import StreamT, TopicT
from prometheus_client.metrics_core import Metric
from redis.asyncio import Redis

from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
from analytics.retention import apply_retention
from infra.retry import retrying
from infra.settings import Settings
from streams.dead_letters import DeadLetters
from streams.device_states import DeviceStates
from streams.event_time import EventTimeWindow
from streams.faces.pipeline import FaceEngine
from streams.faces.rosters import Rosters
from streams.frame_matcher import FrameMatcher
from streams.gathered_batches import GatheredBatches
from streams.payroll_sink import PayrollSink
from streams.records import RegistryChange
from streams.role_process import RoleProcess
from streams.topics import GATE_FRAMES, GATE_HEARTBEATS, GATE_PASSES, PAYROLL

log = logging.getLogger(__name__)
#: A role's answer to /healthz: None when ready, else what it is still doing.
Readiness = Callable[[], str | None]


@dataclass
class Shared:
    """What the roles of one worker share."""

    settings: Settings
    app: faust.App
    redis: Redis
    dead_letter: TopicT
    dead_letters: DeadLetters
    registry_views: list[Callable[[RegistryChange], None]] = field(default_factory=list)
    #: More fields of /healthz, read when asked.
    health: dict[str, Callable[[], object]] = field(default_factory=dict)
    #: The metrics of the worker's other processes, for its /metrics page.
    metric_sources: list[Callable[[], Awaitable[list[Metric]]]] = field(default_factory=list)


def register_roles(shared: Shared) -> list[Readiness]:
    """Register the worker's roles (``settings.roles``); their readiness checks."""
    roles = shared.settings.roles
    checks: list[Readiness] = []
    pass_roles = [role for role in ("passes", "attendance") if role in roles]
    if pass_roles:
        process, gathered = _in_own_process(shared, pass_roles)
        checks.append(process.state)
        _hand_over_on_rebalance(shared, process, gathered)
        _keep_retention(shared, pass_roles)
    if "faces" in roles:
        checks.append(_faces_role(shared))
    if "heartbeats" in roles:
        checks.append(_heartbeats_role(shared))
    if "payroll" in roles:
        checks.append(_payroll_role(shared))
    return checks


def _batches(stream: StreamT[bytes | None], size: int, within: float) -> Any:
    return cast("Stream[bytes | None]", stream).take_events(size, within=within)


def _in_own_process(shared: Shared, roles: Sequence[str]) -> tuple[RoleProcess, GatheredBatches]:
    """One agent on gate.passes whose batches ``roles`` (the passes role, the attendance
    role, or both) handle in a process of their own (:mod:`streams.role_process`), which
    acknowledges each once written. It runs while the worker does, and what waits is
    written before the worker stops; :func:`_hand_over_on_rebalance` writes what waits on
    a revocation."""
    settings, app = shared.settings, shared.app
    process = RoleProcess(settings, shared.dead_letter, *roles)
    shared.metric_sources.append(process.metric_families)
    passes = app.topic(settings.topic(GATE_PASSES), key_serializer="raw", value_serializer="raw")
    # Event by event, as the bare Faust agent reads: cheaper for the worker than
    # take_events, and the worker does little else (streams/gathered_batches.py).
    gathered = GatheredBatches(process.submit, size=500, within=settings.live_flush_s)

    @app.agent(passes, name="-".join(roles))
    async def handle(stream: StreamT[bytes | None]) -> None:
        async for event in stream.events():
            if gathered.gather(event):
                await gathered.hand_on_now()

    async def tick() -> None:
        await process.keep_running()
        await gathered.hand_on_due()

    async def finish() -> None:
        await gathered.hand_on_now()
        await process.finish()
        await process.stop()

    @app.task  # type: ignore[untyped-decorator]
    async def run_process() -> None:
        await process.keep_running()
        await _until_stopped(app, settings.live_flush_s, tick, finish)

    return process, gathered


def _hand_over_on_rebalance(
    shared: Shared, process: RoleProcess, gathered: GatheredBatches
) -> None:
    """On a revocation, what waits is written first, so that its offsets are committed
    before the next owner reads; the attendance role, if there, learns its partitions
    (it holds state per partition: :class:`streams.child_roles.AttendanceRole`, which
    starts where :mod:`streams.stored_passes` says)."""
    settings, app = shared.settings, shared.app
    passes_topic = settings.topic(GATE_PASSES)
    attendance = "attendance" in settings.roles

    def partitions(tps: Any) -> list[int]:
        return sorted(tp.partition for tp in tps if tp.topic == passes_topic)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        await gathered.hand_on_now()
        await process.finish()
        if attendance:
            await process.control(("revoked", partitions(args[0])))

    @app.on_partitions_assigned.connect  # type: ignore[arg-type]
    async def on_assigned(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        if attendance:
            # The topic's real partition count (it may predate SITEPULSE_KAFKA_PARTITIONS).
            count = app.consumer.topic_partitions(passes_topic) or settings.kafka_partitions
            await process.control(("assigned", partitions(args[0]), count))


def _keep_retention(shared: Shared, roles: Sequence[str]) -> None:
    """The tables ``roles`` write drop their partitions past retention, every six hours."""
    settings = shared.settings
    keep: dict[str, int] = {}
    if "passes" in roles:
        keep["gate_passes"] = settings.pass_retention_months
    if "attendance" in roles:
        keep["attendance_days"] = settings.attendance_retention_months

    @shared.app.timer(interval=6 * 3600.0)  # type: ignore[untyped-decorator]
    async def apply_clickhouse_retention() -> None:
        db = DriverExecutor(connect_clickhouse(settings.clickhouse_url))
        today = datetime.now(UTC).date()
        await retrying("clickhouse", lambda: asyncio.to_thread(apply_retention, db, today, keep))


def _heartbeats_role(shared: Shared) -> Readiness:
    """gate.heartbeats → device states. Apart from the passes role, so that a worker
    draining passes reads nothing else (each topic more is fetched and polled)."""
    settings, app = shared.settings, shared.app
    device_states = DeviceStates(
        shared.redis, namespace=settings.namespace, dead_letters=shared.dead_letters
    )
    heartbeats = app.topic(
        settings.topic(GATE_HEARTBEATS), key_serializer="raw", value_serializer="raw"
    )

    @app.agent(heartbeats, name="heartbeats")
    async def handle_heartbeats(stream: StreamT[bytes | None]) -> None:
        async for events in _batches(stream, 500, 1.0):
            values = [event.value for event in events]
            await device_states.heartbeats(values, source_topic=settings.topic(GATE_HEARTBEATS))

    return lambda: None


def _payroll_role(shared: Shared) -> Readiness:
    """payroll facts → wage analytics in ClickHouse."""
    settings, app = shared.settings, shared.app
    payroll_sink = PayrollSink(
        DriverExecutor(connect_clickhouse(settings.clickhouse_url)),
        shared.dead_letters,
        settings.topic(PAYROLL),
    )
    payroll = app.topic(settings.topic(PAYROLL), key_serializer="raw", value_serializer="raw")

    @app.agent(payroll, name="payroll")
    async def handle_payroll(stream: StreamT[bytes | None]) -> None:
        # Faust acknowledges a batch of events when the loop body returns: after the write.
        async for events in _batches(stream, 500, 1.0):
            await payroll_sink.handle([event.value for event in events])

    return lambda: None


#: The longest a frame waits for others to be matched with (a batch is ``face_batch``).
_FRAME_WAIT_S = 0.01


def _faces_role(shared: Shared) -> Readiness:
    """gate.frames → the face matcher → gate.passes."""
    settings, app = shared.settings, shared.app
    rosters = Rosters(threshold=settings.face_threshold, margin=settings.face_margin)
    shared.registry_views.append(rosters.apply)
    engine = FaceEngine(settings.model_dir.resolve(), provider=settings.face_provider)
    engine_ready = asyncio.Event()
    frames = app.topic(settings.topic(GATE_FRAMES), key_serializer="raw", value_serializer="raw")
    passes = app.topic(settings.topic(GATE_PASSES), key_serializer="raw", value_serializer="raw")
    matcher = FrameMatcher(
        engine,
        rosters,
        reverify=settings.face_reverify,
        passes=passes,
        dead_letter=shared.dead_letter,
        source_topic=settings.topic(GATE_FRAMES),
        window=EventTimeWindow.of(settings),
        threads=settings.face_threads,
    )

    async def match(events: list[Any]) -> None:
        await matcher.handle(events)
        for event in events:
            event.ack()  # the frames' offsets may go once their passes are sent

    # Event by event, as the passes agent reads: Faust's take_events woke the worker's
    # loop every 10 ms with tasks of its own, frames or not (about 3 % of the busy samples
    # of a worker with every role draining passes, py-spy).
    gathered = GatheredBatches(match, size=settings.face_batch, within=_FRAME_WAIT_S)

    @app.agent(frames, name="frames")
    async def handle_frames(stream: StreamT[bytes | None]) -> None:
        await engine_ready.wait()
        async for event in stream.events():
            if gathered.gather(event):
                await gathered.hand_on_now()

    @app.task  # type: ignore[untyped-decorator]
    async def match_waiting_frames() -> None:
        await _until_stopped(app, _FRAME_WAIT_S, gathered.hand_on_due, gathered.hand_on_now)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(sender: Any, *args: Any, signal: Any, **_: Any) -> None:
        await gathered.hand_on_now()  # so that their offsets go before the next owner reads

    @app.task  # type: ignore[untyped-decorator]
    async def load_face_models() -> None:
        await asyncio.to_thread(engine.ready)
        engine_ready.set()
        log.info("face models loaded, running on %s", engine.provider)

    shared.health["face_provider"] = lambda: engine.provider
    return lambda: None if engine_ready.is_set() else "loading face models"


async def _until_stopped(
    app: faust.App,
    interval_s: float,
    tick: Callable[[], Awaitable[None]],
    last: Callable[[], Awaitable[None]],
) -> None:
    """``tick`` every ``interval_s`` while the worker runs, then ``last`` once it stops.

    Not a Faust timer: those end as the worker starts stopping, but Faust then waits for
    every message to be acknowledged, and the messages of rows still waiting for their
    write are acknowledged only by the write (``last``)."""
    while not app.should_stop:
        await asyncio.sleep(interval_s)
        await tick()
    await last()
