"""Two streams workers share the consumer group (on the session's stack: the supervised
worker and a second one started here); six projects' gates post a few hours of passes;
the second worker is killed with kill -9 half-way. After the survivor takes its partitions
over, every project's ``gate_passes``, ``attendance_days``, ``project_daily`` and presence
equal what one worker computes from the same passes (the pure core's answer)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from infra.launch.ephemeral import free_ports
from infra.settings import Settings
from streams.topics import partition_of

from .helpers import new_device, wait_until
from .test_faults import Gate, assert_exact_outcome, run_load, site_day

PROJECTS = 6


def _partitions(stack: Settings, port: int) -> int:
    """How many partitions a streams worker holds (its /healthz), -1 if it is not up."""
    try:
        with urllib.request.urlopen(f"http://{stack.bind_host}:{port}/healthz", timeout=1) as r:
            return int(json.loads(r.read())["partitions"])
    except (OSError, ValueError, KeyError):
        return -1


def _spread_projects(stack: Settings) -> list[str]:
    """Project ids on distinct partitions of gate.passes, so both workers hold some."""
    chosen: dict[int, str] = {}
    for n in range(10_000):
        project = f"S{os.getpid()}x{n}"
        chosen.setdefault(partition_of(project, stack.kafka_partitions), project)
        if len(chosen) == PROJECTS:
            break
    return list(chosen.values())


def _second_worker(stack: Settings, port: int) -> subprocess.Popen[bytes]:
    """Another streams worker of the same stack (as ``--scale streams=2`` runs it)."""
    log = Path(stack.resolved_data_dir) / "logs" / "streams-scale-test.log"
    env = {**os.environ, "SITEPULSE_STREAMS_PORT": str(port), "SITEPULSE_REPLICA": "2"}
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.launch.cli", "run", "streams"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def test_a_second_streams_worker_killed_mid_load_loses_and_skews_nothing(
    stack: Settings,
) -> None:
    [port] = free_ports(1)
    second = _second_worker(stack, port)
    try:
        # Both hold some of the partitions once the group has rebalanced.
        await wait_until(lambda: _partitions(stack, port) > 0, 120)
        await wait_until(lambda: _partitions(stack, stack.streams_port) > 0, 60)
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
