"""A role's own process on the real stores: batches in, rows in ClickHouse, bad values out
as letters before their batch's offsets go, metrics back to the worker, a child that dies
replaced with nothing lost, and the attendance role's readiness following its assignment."""

from __future__ import annotations

import os
import signal
import uuid

from prometheus_client import REGISTRY

from analytics.clickhouse import connect
from infra.settings import Settings
from streams.role_process import RoleProcess
from tests.held_events import Event, held, refs
from tests.integration.helpers import stored_event_ids, wait_until
from tests.passes import pass_event

RESTART = {"service": "streams", "kind": "passes_process_restart"}


class RecordingTopic:
    """The deadletter topic: what was sent, and how many messages were acked by then."""

    def __init__(self, events: list[Event]) -> None:
        self.sent: list[tuple[bytes, bytes, int]] = []
        self._events = events

    async def send(self, *, key: bytes, value: bytes) -> None:
        released = sum(1 for event in self._events if event.message.refs == 1)
        self.sent.append((key, value, released))


def pass_value(project_id: str, serial: int) -> bytes:
    return pass_event(project_id, serial).to_json()


def of_own(stack: Settings) -> Settings:
    return stack.model_copy(update={"namespace": f"pp{uuid.uuid4().hex[:6]}."})


async def test_batches_are_written_and_their_letters_sent_before_their_messages_go(
    stack: Settings,
) -> None:
    settings = of_own(stack)
    project_id = f"PP{uuid.uuid4().hex[:6]}"
    first = [Event(pass_value(project_id, n)) for n in range(3)]
    second = [Event(b"not a pass"), Event(pass_value(project_id, 3))]
    topic = RecordingTopic([*first, *second])
    process = RoleProcess(settings, topic, "passes")
    await process.keep_running()
    try:
        await process.submit(held(first))
        await process.submit(held(second))
        assert all(event.message.refs >= 1 for event in [*first, *second])
        await process.finish()
        # Written, then released: Faust's own reference is all that is left.
        assert refs([*first, *second]) == [1] * 5
        assert stored_event_ids(settings, project_id) == [f"{project_id}-G1:{n}" for n in range(4)]
        [(key, letter, released_then)] = topic.sent
        assert key == settings.topic("gate.passes").encode()
        assert b'"kind":"invalid"' in letter.replace(b" ", b"")
        assert released_then < 5  # the letter went before the batch's messages
        families = {family.name: family for family in await process.metric_families()}
        stored = [
            sample.value
            for sample in families["sitepulse_events"].samples
            if sample.name == "sitepulse_events_total" and sample.labels["outcome"] == "stored"
        ]
        assert stored == [4.0]
        assert process.state() is None
    finally:
        await process.stop()
    assert "stopped" in (process.state() or "")


async def test_a_child_that_dies_is_replaced_and_sent_what_it_had_not_written(
    stack: Settings,
) -> None:
    settings = of_own(stack.model_copy(update={"sink_flush_s": 60.0}))
    project_id = f"PD{uuid.uuid4().hex[:6]}"
    events = [Event(pass_value(project_id, n)) for n in range(2)]
    later = [Event(pass_value(project_id, 2))]
    restarts = REGISTRY.get_sample_value("sitepulse_errors_total", RESTART) or 0.0
    process = RoleProcess(settings, RecordingTopic([*events, *later]), "passes")
    await process.keep_running()
    try:
        await process.submit(held(events))
        first = process.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)  # with the batch held, its rows not yet written
        await process.submit(held(later))
        await process.finish()
        assert process.pid != first
        assert stored_event_ids(settings, project_id) == [f"{project_id}-G1:{n}" for n in range(3)]
        assert refs([*events, *later]) == [1, 1, 1]
        assert REGISTRY.get_sample_value("sitepulse_errors_total", RESTART) == restarts + 1
        assert process.state() is None
    finally:
        await process.stop()


async def assign_every_partition(process: RoleProcess, stack: Settings) -> None:
    """As the worker does on joining its group alone; returns once the history is loaded."""
    await wait_until(lambda: "loading recent attendance" in (process.state() or ""))
    count = stack.kafka_partitions
    await process.control(("assigned", list(range(count)), count))
    await wait_until(lambda: process.state() is None)


async def test_the_attendance_role_loads_its_assignment_then_makes_days(stack: Settings) -> None:
    project_id = f"PA{uuid.uuid4().hex[:6]}"
    events = [Event(pass_value(project_id, n)) for n in range(3)]
    process = RoleProcess(stack, RecordingTopic(events), "attendance")
    await process.keep_running()
    try:
        await assign_every_partition(process, stack)
        await process.submit(held(events))
        await process.finish()
        rows = connect(stack.clickhouse_url).execute(
            "SELECT worker_id, sessions FROM attendance_days FINAL WHERE project_id = %(p)s"
            " ORDER BY worker_id",
            {"p": project_id},
        )
        assert rows == [(f"W{n}", 1) for n in range(3)]
        assert refs(events) == [1, 1, 1]
    finally:
        await process.stop()


async def test_both_roles_in_one_process_write_their_tables_before_a_batch_goes(
    stack: Settings,
) -> None:
    """A worker with both roles runs one child for them: each batch lands in gate_passes
    and attendance_days, each role counts it once, and only then are its messages
    released."""
    project_id = f"PB{uuid.uuid4().hex[:6]}"
    events = [Event(pass_value(project_id, n)) for n in range(3)]
    process = RoleProcess(stack, RecordingTopic(events), "passes", "attendance")
    await process.keep_running()
    try:
        await assign_every_partition(process, stack)
        await process.submit(held(events))
        await process.finish()
        assert refs(events) == [1, 1, 1]
        assert stored_event_ids(stack, project_id) == [f"{project_id}-G1:{n}" for n in range(3)]
        days = connect(stack.clickhouse_url).execute(
            "SELECT worker_id FROM attendance_days FINAL WHERE project_id = %(p)s"
            " ORDER BY worker_id",
            {"p": project_id},
        )
        assert days == [(f"W{n}",) for n in range(3)]
        families = {family.name: family for family in await process.metric_families()}
        counted = {
            sample.labels["outcome"]: sample.value
            for sample in families["sitepulse_events"].samples
            if sample.name == "sitepulse_events_total"
        }
        assert counted["stored"] == 3 and counted["attendance_observed"] == 3
    finally:
        await process.stop()
