"""What each streams role does in its own process (:mod:`streams.role_child`): the passes
role's pipeline, the attendance role's tracker, each built with connections of its own.

A role takes batches of raw ``gate.passes`` values with a receipt to release once what
they became is written, writes what waits on ``flush``, does its periodic work on
``tick``, and says what it is still doing (``readiness``) for the worker's ``/healthz``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
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
from streams.partition_ownership import PartitionOwnership
from streams.pass_pipeline import PassPipeline
from streams.registry_follower import RegistryFollower
from streams.topics import GATE_PASSES, REGISTRY


class ChildRole(Protocol):
    async def start(self) -> None: ...

    async def handle(self, values: Sequence[bytes | None], receipt: Receipt) -> None: ...

    async def flush(self) -> None: ...

    async def tick(self) -> None: ...

    def control(self, request: tuple[Any, ...]) -> None: ...

    def readiness(self) -> str | None: ...

    async def close(self) -> None: ...


class PassesRole:
    """Live feed, ``gate_passes``, streaming alerts and gates' last passes."""

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

    async def handle(self, values: Sequence[bytes | None], receipt: Receipt) -> None:
        await self._pipeline.handle(values, receipt)

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

    async def handle(self, values: Sequence[bytes | None], receipt: Receipt) -> None:
        # After an assignment, no pass before its project's history is loaded.
        await self._ownership.ready.wait()
        await self._stage.handle(values, receipt)

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
