"""Two streams workers share the consumer group (on the session's stack: the supervised
worker and a second one started here); six projects' gates post a few hours of passes;
the second worker is killed with kill -9 half-way. After the survivor takes its partitions
over, every project's ``gate_passes``, ``attendance_days``, ``project_daily`` and presence
equal what one worker computes from the same passes (the pure core's answer)."""

from __future__ import annotations

import asyncio
import os
import signal

from infra.launch.ephemeral import free_ports
from infra.launch.probes import held_partitions
from infra.launch.services import start_replica
from infra.settings import Settings
from streams.topics import partition_of

from .helpers import new_device, wait_until
from .test_faults import Gate, assert_exact_outcome, run_load, site_day

PROJECTS = 6


def _spread_projects(stack: Settings) -> list[str]:
    """Project ids on distinct partitions of gate.passes, so both workers hold some."""
    chosen: dict[int, str] = {}
    for n in range(10_000):
        project = f"S{os.getpid()}x{n}"
        chosen.setdefault(partition_of(project, stack.kafka_partitions), project)
        if len(chosen) == PROJECTS:
            break
    return list(chosen.values())


async def test_a_second_streams_worker_killed_mid_load_loses_and_skews_nothing(
    stack: Settings,
) -> None:
    [port] = free_ports(1)
    second = start_replica(stack, "streams", 2, port)
    try:
        # Both hold some of the partitions once the group has rebalanced.
        await wait_until(lambda: held_partitions(stack.bind_host, port) > 0, 120)
        await wait_until(lambda: held_partitions(stack.bind_host, stack.streams_port) > 0, 60)
        gates = [Gate(stack, new_device(stack, project)) for project in _spread_projects(stack)]
        days = {gate.device.project_id: site_day(gate.device) for gate in gates}
        loads = [
            asyncio.create_task(run_load(gate, days[gate.device.project_id], pace_s=0.4))
            for gate in gates
        ]
        await asyncio.sleep(4.0)  # half-way through the load
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
        await asyncio.gather(*loads)
        # The survivor takes every partition over, each project's history loaded first.
        for gate in gates:
            await assert_exact_outcome(stack, gate, days[gate.device.project_id])
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait()
