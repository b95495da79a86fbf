"""A province's layout: the streams roles in processes of their own (each its own consumer
group), on a namespace of their own beside the session's stack.

The attendance worker commits what it has read whether or not the passes workers stored
it; killed while the passes workers are down, it must still know, after a restart, a pass
that ClickHouse does not hold yet: it reads again from the passes group's offset."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import redis as redis_sync
from aiokafka import AIOKafkaProducer

from analytics.clickhouse import connect
from infra.launch.ephemeral import free_ports
from infra.launch.probes import http_healthy
from infra.launch.servers import ensure_topics_with_retry
from infra.launch.services import start_replica
from infra.settings import Settings
from streams.channels import device_state_key, presence_key
from streams.records import Direction, HeartbeatEvent, PassEvent, PassMethod, PayrollFact
from streams.stored_passes import StoredPasses
from streams.topics import GATE_HEARTBEATS, GATE_PASSES, PAYROLL, partition_of

from .helpers import stored_event_ids, wait_until


class Worker:
    """One streams worker with ``roles``, on the test's namespace."""

    def __init__(self, stack: Settings, namespace: str, roles: str, replica: int) -> None:
        self._args = (stack, namespace, roles, replica)
        [self.port] = free_ports(1)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        stack, namespace, roles, replica = self._args
        self.process = start_replica(
            stack,
            "streams",
            replica,
            self.port,
            SITEPULSE_NAMESPACE=namespace,
            SITEPULSE_STREAMS_ROLES=roles,
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    @property
    def host(self) -> str:
        return self._args[0].bind_host

    def healthy(self) -> bool:
        return http_healthy(self.host, self.port)


def pass_value(project: str, worker: str, serial: int, direction: Direction) -> bytes:
    now = datetime.now(UTC)
    return PassEvent(
        event_id=f"{project}-G1:{serial}",
        device_id=f"{project}-G1",
        project_id=project,
        worker_id=worker,
        direction=direction,
        method=PassMethod.FACE,
        occurred_at=now - timedelta(seconds=60 - serial),
        received_at=now,
        score=0.9,
    ).to_json()


async def send(
    settings: Settings, project: str, values: list[bytes], topic: str = GATE_PASSES
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(settings.topic(topic), value, key=project.encode())
    finally:
        await producer.stop()


def presence(stack: Settings, namespace: str, project: str) -> dict[str, object] | None:
    raw = redis_sync.Redis.from_url(stack.redis_url).get(presence_key(namespace, project))
    return None if raw is None else dict(json.loads(raw))


async def committed(settings: Settings, role: str, project: str, offset: int) -> bool:
    """Whether the group of ``role`` has committed ``offset`` of the project's partition."""
    partition = partition_of(project, settings.kafka_partitions)
    group = StoredPasses(
        settings.kafka_bootstrap,
        group=settings.streams_group_of(role),
        topic=settings.topic(GATE_PASSES),
    )
    return (await group.offsets({partition})).get(partition, -1) >= offset


def day_rows(stack: Settings, project: str) -> int:
    query = "SELECT count() FROM attendance_days FINAL WHERE project_id = %(p)s"
    return int(connect(stack.clickhouse_url).execute(query, {"p": project})[0][0])


async def test_apart_the_attendance_worker_reads_again_what_the_passes_workers_had_not_stored(
    stack: Settings,
) -> None:
    namespace = f"roles{uuid.uuid4().hex[:6]}."
    settings = stack.model_copy(update={"namespace": namespace})
    await asyncio.to_thread(ensure_topics_with_retry, settings)
    passes = Worker(stack, namespace, "passes", 21)
    attendance = Worker(stack, namespace, "attendance", 22)
    project, worker = f"R{uuid.uuid4().hex[:8]}", "W1"
    try:
        passes.start()
        attendance.start()
        await wait_until(lambda: passes.healthy() and attendance.healthy(), 120)

        # Both roles at work: the entry is stored by one, made a day and presence by the other.
        await send(settings, project, [pass_value(project, worker, 1, Direction.IN)])
        await wait_until(lambda: len(stored_event_ids(stack, project)) == 1, 30)
        await wait_until(lambda: day_rows(stack, project) == 1, 30)
        await wait_until(lambda: (presence(stack, namespace, project) or {}).get("headcount") == 1)

        # The passes workers stop (their offsets committed); the exit is read, and its offset
        # committed, by attendance alone.
        await wait_until(lambda: committed(settings, "passes", project, 1), 30)
        passes.kill()
        await send(settings, project, [pass_value(project, worker, 2, Direction.OUT)])
        await wait_until(lambda: (presence(stack, namespace, project) or {}).get("headcount") == 0)
        await wait_until(lambda: committed(settings, "attendance", project, 2), 30)
        attendance.kill()
        redis_sync.Redis.from_url(stack.redis_url).delete(presence_key(namespace, project))

        # ClickHouse holds only the entry. Restarted, the attendance worker loads it and
        # reads the exit again from the passes group's offset: the worker has left.
        assert stored_event_ids(stack, project) == [f"{project}-G1:1"]
        attendance.start()
        await wait_until(attendance.healthy, 120)
        await wait_until(lambda: (presence(stack, namespace, project) or {}).get("headcount") == 0)

        # Back up, the passes workers store the exit too: nothing was lost on either side.
        passes.start()
        await wait_until(lambda: len(stored_event_ids(stack, project)) == 2, 120)
        assert day_rows(stack, project) == 1
    finally:
        passes.kill()
        attendance.kill()


def held_partitions(worker: Worker) -> int:
    return int(
        httpx.get(f"http://{worker.host}:{worker.port}/healthz", timeout=5).json()["partitions"]
    )


def sheet_states(stack: Settings, project: str) -> list[str]:
    query = "SELECT state FROM wage_sheets FINAL WHERE project_id = %(p)s"
    return [row[0] for row in connect(stack.clickhouse_url).execute(query, {"p": project})]


async def test_heartbeats_and_payroll_apart_and_the_passes_worker_reads_passes_alone(
    stack: Settings,
) -> None:
    """A passes worker apart reads gate.passes and nothing else (what bench/pipeline.py
    measures against a bare Faust agent); heartbeats and payroll facts reach their stores
    through workers of their own."""
    namespace = f"roles{uuid.uuid4().hex[:6]}."
    settings = stack.model_copy(update={"namespace": namespace})
    await asyncio.to_thread(ensure_topics_with_retry, settings)
    workers = {
        role: Worker(stack, namespace, role, replica)
        for replica, role in enumerate(("passes", "heartbeats", "payroll"), start=23)
    }
    project = f"R{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    beat = HeartbeatEvent(
        device_id=f"{project}-G1",
        project_id=project,
        protocol="http",
        received_at=now,
        firmware="v2.7.1",
        backlog=3,
    )
    sheet = PayrollFact(
        fact="sheet",
        key="sheet:1",
        data={
            "sheet_id": 1,
            "project_id": project,
            "enterprise_id": 7,
            "month": "2026-11",
            "state": "submitted",
        },
        seq=1,
        at=now,
    )
    try:
        for worker in workers.values():
            worker.start()
        await wait_until(lambda: all(w.healthy() for w in workers.values()), 120)
        # One topic each (beside Faust's own leader topic, the same for all three).
        held = {role: held_partitions(worker) for role, worker in workers.items()}
        assert len(set(held.values())) == 1, held
        assert held["passes"] < 2 * stack.kafka_partitions, held

        await send(settings, project, [beat.to_json()], GATE_HEARTBEATS)
        await send(settings, project, [sheet.to_json()], PAYROLL)
        state = redis_sync.Redis.from_url(stack.redis_url, decode_responses=True)
        await wait_until(
            lambda: state.hget(device_state_key(namespace), f"{project}-G1:firmware") == "v2.7.1",
            30,
        )
        assert state.hget(device_state_key(namespace), f"{project}-G1:backlog") == "3"
        await wait_until(lambda: sheet_states(stack, project) == ["submitted"], 30)
    finally:
        for worker in workers.values():
            worker.kill()
