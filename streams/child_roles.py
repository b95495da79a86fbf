"""What the streams roles do in their own process (:mod:`streams.role_child`): the passes
role's pipeline, the attendance role's tracker, each built with connections of its own,
and :class:`RolesTogether`, one or both of them over the same passes.

A role takes batches of decoded ``gate.passes`` with a receipt to release once what they
became is written, writes what waits on ``flush``, does its periodic work on ``tick``,
takes the worker's requests named in ``requests``, and says what it is still doing
(``readiness``) for the worker's ``/healthz``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from psycopg_pool import AsyncConnectionPool

from alerts.celery_app import create_celery
from alerts.profiles import profile_for
from alerts.streaming import StreamingRules
from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
from infra.redis_client import async_redis
from infra.settings import Settings
from streams.alert_raiser import AlertRaiser
from streams.attendance.book import AttendanceBook
from streams.attendance.roster_facts import RosterFacts
from streams.attendance.stage import AttendanceStage
from streams.attendance.timeline import AttendanceRules
from streams.attendance.tracker import AttendanceTracker
from streams.batched_writes import Receipt
from streams.dead_letters import DeadLetters
from streams.device_states import DeviceStates
from streams.event_time import EventTimeWindow
from streams.partition_ownership import PartitionOwnership
from streams.pass_pipeline import PassPipeline
from streams.passes import DecodedBatch, decode_passes
from streams.registry_follower import RegistryFollower
from streams.topics import GATE_PASSES, REGISTRY


class ChildRole(Protocol):
    #: The worker's requests this role takes (:meth:`control`).
    requests: frozenset[str]

    async def start(self) -> None: ...

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None: ...

    async def flush(self) -> None: ...

    async def tick(self) -> None: ...

    def control(self, request: tuple[Any, ...]) -> None: ...

    def readiness(self) -> str | None: ...

    async def close(self) -> None: ...


class PassesRole:
    """Live feed, ``gate_passes``, streaming alerts and gates' last passes; the batch's
    dead letters too."""

    requests: frozenset[str] = frozenset()

    def __init__(self, settings: Settings, dead_letters: DeadLetters) -> None:
        redis = async_redis(settings.redis_url)
        self._alert_pool = AsyncConnectionPool(
            settings.postgres_dsn, min_size=1, max_size=2, open=False
        )
        alerts = (
            StreamingRules(profile_for("")),
            AlertRaiser(self._alert_pool, create_celery(settings)),
        )
        states = DeviceStates(redis, namespace=settings.namespace, dead_letters=dead_letters)
        self._pipeline = PassPipeline(settings, redis, dead_letters, alerts, device_states=states)

    async def start(self) -> None:
        await self._alert_pool.open()

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None:
        await self._pipeline.handle(batch, receipt)

    async def flush(self) -> None:
        await self._pipeline.flush()

    async def tick(self) -> None:
        await self._pipeline.flush_if_due()

    def control(self, request: tuple[Any, ...]) -> None:
        raise ValueError(f"the passes role takes no {request[0]!r}")

    def readiness(self) -> str | None:
        return None

    async def close(self) -> None:
        await self._alert_pool.close()


class AttendanceRole:
    """Attendance days and presence for the projects of the assigned partitions, with
    the roster facts (exits) read from the registry by a follower of its own."""

    requests = frozenset({"assigned", "revoked"})

    def __init__(self, settings: Settings, dead_letters: DeadLetters) -> None:
        facts = RosterFacts()
        registry_topic = settings.topic(REGISTRY)

        async def reject(value: bytes, reason: str) -> None:
            await dead_letters.send(registry_topic, "registry", reason, value)

        self._follower = RegistryFollower(
            settings.kafka_bootstrap, registry_topic, [facts.apply], reject=reject
        )
        rules = AttendanceRules(
            repeat_window_s=settings.attendance_repeat_window_s,
            max_shift_h=settings.attendance_max_shift_h,
        )
        db = DriverExecutor(connect_clickhouse(settings.clickhouse_url))
        self._tracker = AttendanceTracker(
            AttendanceBook(rules, keep_days=settings.attendance_keep_days),
            facts,
            db,
            async_redis(settings.redis_url),
            namespace=settings.namespace,
        )
        self._stage = AttendanceStage(settings, self._tracker, db, dead_letters)
        self._partition_count = settings.kafka_partitions
        self._ownership = PartitionOwnership(
            self._tracker,
            topic=settings.topic(GATE_PASSES),
            partition_count=lambda: self._partition_count,
            registry_read=self._follower.caught_up,
        )
        self._following: asyncio.Task[None] | None = None
        self._expired_at = time.monotonic()

    async def start(self) -> None:
        self._following = asyncio.create_task(self._follower.run(), name="registry")

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None:
        # After an assignment, no pass before its project's history is loaded.
        await self._ownership.ready.wait()
        await self._stage.handle(batch, receipt)

    async def flush(self) -> None:
        await self._stage.flush()

    async def tick(self) -> None:
        if not self._ownership.ready.is_set():
            return
        expire = time.monotonic() - self._expired_at >= 60.0
        if expire:
            self._expired_at = time.monotonic()
        await self._stage.refresh(expire=expire)

    def control(self, request: tuple[Any, ...]) -> None:
        """``("assigned", partitions, partition_count)`` or ``("revoked", partitions)``."""
        if request[0] == "assigned":
            self._partition_count = request[2]
            self._ownership.assigned(request[1])
        elif request[0] == "revoked":
            self._ownership.revoked(request[1])
        else:
            raise ValueError(f"the attendance role takes no {request[0]!r}")

    def readiness(self) -> str | None:
        if not self._follower.caught_up.is_set():
            return "reading the registry"
        if self._ownership.ready.is_set():
            return None
        done, total = self._tracker.progress or (0, 0)
        return f"loading recent attendance ({done} of {total} projects)"

    async def close(self) -> None:
        if self._following is not None:
            self._following.cancel()


ROLES: dict[str, type[PassesRole] | type[AttendanceRole]] = {
    "passes": PassesRole,
    "attendance": AttendanceRole,
}


class _JointReceipt:
    """Releases ``receipt`` once each of ``holders`` has acknowledged."""

    def __init__(self, receipt: Receipt, holders: int) -> None:
        self._receipt = receipt
        self._waiting = holders

    def ack(self) -> None:
        self._waiting -= 1
        if self._waiting == 0:
            self._receipt.ack()


class RolesTogether:
    """The named roles over the same passes, in one process: each batch decoded once (its
    dead letters go with it to the passes role) and handed to every role at once, and its
    receipt released once every role has written what it became.

    A worker with both roles reads each pass once and runs one process for them: the
    worker then pickles, pipes and acknowledges each batch once, and the pass is decoded
    once, where two processes each did it again."""

    def __init__(self, roles: Sequence[ChildRole], settings: Settings) -> None:
        self._roles = list(roles)
        self._source = settings.topic(GATE_PASSES)
        self._window = EventTimeWindow.of(settings)

    @classmethod
    def named(
        cls, names: Sequence[str], settings: Settings, dead_letters: DeadLetters
    ) -> RolesTogether:
        """The roles of ``ROLES`` named (``passes``, ``attendance``, or both)."""
        unknown = [name for name in names if name not in ROLES]
        if unknown or not names:
            known = ", ".join(ROLES)
            raise ValueError(f"roles in a process of their own are {known}, not {unknown}")
        return cls([ROLES[name](settings, dead_letters) for name in names], settings)

    async def start(self) -> None:
        for role in self._roles:
            await role.start()

    async def handle(self, values: Sequence[bytes | None], receipt: Receipt) -> None:
        batch = decode_passes(
            values, source_topic=self._source, now=datetime.now(UTC), window=self._window
        )
        joint = _JointReceipt(receipt, len(self._roles)) if len(self._roles) > 1 else receipt
        await asyncio.gather(*(role.handle(batch, joint) for role in self._roles))

    async def flush(self) -> None:
        await asyncio.gather(*(role.flush() for role in self._roles))

    async def tick(self) -> None:
        await asyncio.gather(*(role.tick() for role in self._roles))

    def control(self, request: tuple[Any, ...]) -> None:
        takers = [role for role in self._roles if request[0] in role.requests]
        if not takers:
            raise ValueError(f"no role here takes {request[0]!r}")
        for role in takers:
            role.control(request)

    def readiness(self) -> str | None:
        return next(filter(None, (role.readiness() for role in self._roles)), None)

    async def close(self) -> None:
        for role in self._roles:
            await role.close()
