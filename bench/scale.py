"""How the costs grow with a province's size, each as a table so the growth shows:

1. the streams worker's warm-up (what it does on every partition assignment): the time and
   the memory to load 10k, 100k and 1M passes of history (30 workers per project, three
   days), beside the time ClickHouse alone takes to hand over the same rows;
2. one full alert evaluation, and the regulator overview (``GET /v1/overview``), at 20,
   100, 400 and 1,000 projects.

    .venv/bin/python bench/scale.py [--passes 10000,100000,1000000] [--projects 20,100,400,1000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from psycopg import AsyncConnection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.evaluation import evaluate_all
from analytics.attendance_queries import known_passes
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from api.auth.principal import Role
from api.stores.accounts import create_user
from infra.launch.ephemeral import ephemeral_stack
from infra.redis_client import async_redis
from infra.settings import Settings
from streams.attendance.book import AttendanceBook
from streams.attendance.roster_facts import RosterFacts
from streams.attendance.timeline import AttendanceRules
from streams.attendance.tracker import AttendanceTracker

WORKERS_PER_PROJECT = 30
PASSES_PER_PROJECT = WORKERS_PER_PROJECT * 3 * 3  # in, out, lunch; three days


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def fill_history(settings: Settings, passes: int) -> None:
    """``passes`` passes of the last two days, made on the server (INSERT ... SELECT)."""
    client = connect(settings.clickhouse_url)
    for partition in client.execute(
        "SELECT DISTINCT partition FROM system.parts WHERE table = 'gate_passes' AND active"
    ):
        client.execute(f"ALTER TABLE gate_passes DROP PARTITION {partition[0]}")
    projects = max(1, passes // PASSES_PER_PROJECT)
    client.execute(
        "INSERT INTO gate_passes (event_id, device_id, project_id, worker_id, direction,"
        " method, occurred_at, received_at, score, snapshot_ref)"
        f" SELECT concat('G', toString(modulo(number, {projects})), ':', toString(number)),"
        f" concat('G', toString(modulo(number, {projects}))),"
        f" concat('S', toString(modulo(number, {projects}))),"
        f" toString(modulo(intDiv(number, {projects}), {WORKERS_PER_PROJECT})),"
        " if(modulo(number, 2) = 0, 'in', 'out'), 'face',"
        " now() - toIntervalSecond(172800 - intDiv(number * 172800, %(n)s)),"
        " now(), 0.9, '' FROM numbers(%(n)s)",
        {"n": passes},
    )


async def warm_up(settings: Settings, passes: int) -> tuple[float, float, float]:
    """(seconds the tracker takes, bytes held per pass, seconds of the bare query)."""
    fill_history(settings, passes)
    db = DriverExecutor(connect(settings.clickhouse_url))
    gc.collect()
    before = rss_bytes()
    redis = async_redis(settings.redis_url)
    book = AttendanceBook(AttendanceRules(), keep_days=settings.attendance_keep_days)
    tracker = AttendanceTracker(
        book, RosterFacts(), db, redis, namespace=f"bench{uuid.uuid4().hex[:6]}."
    )
    started = time.perf_counter()
    loaded = await tracker.hold({0}, 1, datetime.now(UTC))
    took = time.perf_counter() - started
    gc.collect()
    held = rss_bytes() - before
    await redis.aclose()
    assert loaded == passes, (loaded, passes)
    del tracker, book
    started = time.perf_counter()  # the baseline: the same rows out of ClickHouse, no more
    await asyncio.to_thread(known_passes, db, datetime(2000, 1, 1, tzinfo=UTC))  # rows only
    bare = time.perf_counter() - started
    return took, held / passes, bare


async def overview(settings: Settings, sizes: list[int]) -> list[tuple[int, float, float]]:
    """As the region grows to each size: one alert evaluation's seconds, and the
    overview's median of 5 calls."""
    run = uuid.uuid4().hex[:6]
    made = 0
    results = []
    async with await AsyncConnection.connect(settings.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO regions (code, name, level) VALUES ('460000', '海南', 'province'),"
            " ('460105', '秀英区', 'district') ON CONFLICT DO NOTHING"
        )
        await create_user(
            conn,
            login=f"bench-{run}",
            password="Bench-2026-scale",
            role=Role.REGULATOR,
            scope_id="460000",
            must_change_password=False,
        )
    base = f"http://{settings.bind_host}:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        answer = await http.post(
            "/v1/auth/login", json={"login": f"bench-{run}", "password": "Bench-2026-scale"}
        )
        headers = {"authorization": f"Bearer {answer.json()['token']}"}
        for size in sizes:
            async with await AsyncConnection.connect(
                settings.postgres_dsn, autocommit=True
            ) as conn:
                await conn.execute(
                    "INSERT INTO projects (project_id, name, region_code)"
                    " SELECT 'H' || %s || '-' || n, '项目' || n, '460105'"
                    " FROM generate_series(%s::int, %s::int) AS n",
                    (run, made, size - 1),
                )
            made = size
            evaluation = await evaluate_once(settings)
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                body = (await http.get("/v1/overview", headers=headers)).json()
                timings.append(time.perf_counter() - started)
                assert body["total_projects"] == size, body["total_projects"]
            results.append((size, evaluation, statistics.median(timings)))
    return results


async def evaluate_once(settings: Settings) -> float:
    """One scheduled evaluation of every running project, as the Celery task runs it."""
    redis = async_redis(settings.redis_url)
    db = DriverExecutor(connect(settings.clickhouse_url))
    async with await AsyncConnection.connect(settings.postgres_dsn, autocommit=True) as conn:
        started = time.perf_counter()
        await evaluate_all(conn, db, redis, namespace=settings.namespace, now=datetime.now(UTC))
        took = time.perf_counter() - started
    await redis.aclose()
    return took


async def measure(settings: Settings, passes: list[int], projects: list[int]) -> None:
    rows = [(n, *await warm_up(settings, n)) for n in passes]
    views = await overview(settings, projects)
    print(f"\nstreams warm-up (machine: {os.cpu_count()} cores)")
    print(f"{'passes':>10} {'seconds':>9} {'µs/pass':>8} {'bytes/pass':>11} {'bare query s':>13}")
    for n, took, per_pass, bare in rows:
        print(f"{n:>10,} {took:>9.2f} {1e6 * took / n:>8.1f} {per_pass:>11,.0f} {bare:>13.2f}")
    print("\none alert evaluation, and the regulator overview GET /v1/overview (median of 5)")
    print(f"{'projects':>10} {'evaluation s':>13} {'ms/project':>11} {'overview s':>11}")
    for size, evaluation, took in views:
        print(f"{size:>10,} {evaluation:>13.2f} {1000 * evaluation / size:>11.2f} {took:>11.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--passes", default="10000,100000,1000000")
    parser.add_argument("--projects", default="20,100,400,1000")
    args = parser.parse_args()
    passes = [int(n) for n in args.passes.split(",") if n]
    projects = [int(n) for n in args.projects.split(",") if n]
    data_dir = Path(__file__).resolve().parents[1] / ".sitepulse" / "bench-scale"
    print("starting a throwaway stack …", flush=True)
    with ephemeral_stack(data_dir) as settings:
        asyncio.run(measure(settings, passes, projects))


if __name__ == "__main__":
    main()
