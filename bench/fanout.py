"""WebSocket fan-out: deliveries per CPU-second of the realtime service beside
``websockets.broadcast()`` fed the same way, in the same run, with 1,000 dashboards.

Both servers take pass messages from the same Redis channel and write them to every
connected client; the realtime service also authenticates each dashboard, routes by
channel, keeps the replay buffer and watches for slow consumers. CPU time is each server
process's own (``/proc/<pid>/stat``); latency is from ``PUBLISH`` to arrival in a client.

    .venv/bin/python bench/fanout.py [--clients 1000] [--rate 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import websockets
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.auth.tokens import viewer_token
from infra.launch.ephemeral import ephemeral_stack
from infra.settings import Settings
from streams.channels import project_channel

PROJECT = "BENCHFAN"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message(n: int) -> str:
    event = {
        "event_id": f"F:{n}",
        "device_id": "F",
        "project_id": PROJECT,
        "worker_id": f"W{n % 500}",
        "direction": "in",
        "method": "face",
        "occurred_at": "2026-11-21T08:00:00Z",
        "received_at": "2026-11-21T08:00:00Z",
        "score": 0.9,
        "snapshot_ref": None,
        "verification": None,
    }
    return json.dumps({"type": "pass", "event": event}, separators=(",", ":"))


async def run_clients(
    url: str,
    clients: int,
    first_message: str | None,
    publish: Callable[[int], Awaitable[None]],
    count: int,
    rate: float,
    server_pid: int,
) -> tuple[int, float, list[float]]:
    """Connect, publish ``count`` messages at ``rate``, wait for them: (deliveries, the
    server's CPU seconds from the first publish to the last delivery, latencies in ms)."""
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    received = 0
    connected = asyncio.Event()
    ready = 0

    async def client() -> None:
        nonlocal received, ready
        async with websockets.connect(url, max_queue=None, ping_interval=None) as ws:
            if first_message is not None:
                await ws.send(first_message)
                await ws.recv()  # "subscribed"
            ready += 1
            if ready == clients:
                connected.set()
            async for raw in ws:
                data = json.loads(raw)
                if data.get("type") != "pass":
                    continue
                latencies.append((time.perf_counter() - sent_at[data["event"]["event_id"]]) * 1000)
                received += 1
                if received >= clients * count:
                    return

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.wait_for(connected.wait(), 120)
    await asyncio.sleep(1.0)  # let the handshakes' work settle
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        sent_at[f"F:{n}"] = time.perf_counter()
        await publish(n)
    deadline = time.perf_counter() + 30
    while received < clients * count and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    cpu = cpu_seconds(server_pid) - cpu_before
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received, cpu, latencies


def report(label: str, deliveries: int, cpu: float, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    per_cpu = deliveries / cpu if cpu else float("inf")
    p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan")
    print(
        f"  {label:<44}{per_cpu:12,.0f} deliveries/CPU-s   p50 {statistics.median(ordered):6.1f} ms"
        f"   p99 {p99:7.1f} ms   ({deliveries:,} delivered, server CPU {cpu:.2f} s)"
    )
    return per_cpu


async def measure(settings: Settings, args: argparse.Namespace, data_dir: Path) -> None:
    redis = Redis.from_url(settings.redis_url)
    channel = project_channel(settings.namespace, PROJECT)
    count = int(args.rate * args.seconds)

    async def publish(n: int) -> None:
        await redis.publish(channel, message(n))

    token = viewer_token(os.environ["SITEPULSE_TOKEN_SECRET"], PROJECT)
    subscribe = json.dumps({"type": "subscribe", "token": token, "channel": f"project:{PROJECT}"})
    realtime_pid = int((data_dir / "run" / "realtime.pid").read_text())
    ours_url = f"ws://{settings.bind_host}:{settings.realtime_port}/ws"

    port = free_port()
    baseline = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("fanout_baseline.py")),
        str(port),
        settings.redis_url,
        channel,
        stdout=asyncio.subprocess.PIPE,
    )
    assert baseline.stdout is not None
    assert (await baseline.stdout.readline()).decode().strip() == "ready"
    try:
        results = {}
        for label, url, first, pid in (
            ("websockets.broadcast() (baseline)", f"ws://127.0.0.1:{port}", None, baseline.pid),
            ("realtime service (auth, channels, replay)", ours_url, subscribe, realtime_pid),
        ):
            results[label] = await run_clients(
                url, args.clients, first, publish, count, args.rate, pid
            )
    finally:
        baseline.terminate()
        await baseline.wait()
        await redis.aclose()
    print(
        f"\n{args.clients:,} dashboards, {count} pass messages at {args.rate:g}/s"
        f" ({args.clients * count:,} deliveries each); 2-core machine, clients in one process"
    )
    rates = [report(label, *values) for label, values in results.items()]
    print(
        f"  realtime / broadcast(): {100 * rates[1] / rates[0]:.1f} % of deliveries per CPU-second"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # servers inherit it too
    data_dir = Path(__file__).resolve().parents[1] / ".sitepulse" / f"fanout-{uuid.uuid4().hex[:6]}"
    # A few devices send the whole load here: lift the per-device rate limit.
    with ephemeral_stack(data_dir, SITEPULSE_DEVICE_REQUESTS_PER_MINUTE="100000000") as settings:
        asyncio.run(measure(settings, args, data_dir))


if __name__ == "__main__":
    main()
