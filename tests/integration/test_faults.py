"""Faults on the real servers, under load: each part of the stack fails while gates post,
and the outcome is exact. Every accepted pass is stored once in ``gate_passes``;
``attendance_days`` and ``project_daily`` equal what the pure attendance core computes from
the passes (a clean run); presence names exactly the workers on site; the dead-letter topic
holds none of them (nothing was refused).

A gate here behaves as the README asks of one: it sends a batch until it gets a 202, and
waits ``Retry-After`` (or a second) after a 503 or a broken connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from redis import Redis

from analytics.clickhouse import connect
from api.stores.devices import DeviceRecord
from infra.launch.stack import status
from infra.settings import Settings
from ingest.signing import sign_headers
from streams.attendance.timeline import (
    AttendanceRules,
    Swipe,
    attendance_days,
    build_timeline,
)
from streams.channels import presence_key
from streams.records import Direction, PassMethod

from .helpers import dead_letters, new_device, stored_event_ids, wait_until
from .people import Site, auth

WORKERS = 48
BATCH = 8


@dataclass
class Gate:
    """A gate that keeps every batch until the platform accepts it."""

    stack: Settings
    device: DeviceRecord
    sent: list[dict[str, Any]] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)

    async def send(self, client: httpx.AsyncClient, items: list[dict[str, Any]]) -> None:
        body = json.dumps({"events": items}).encode()
        url = f"http://{self.stack.bind_host}:{self.stack.ingest_port}/v1/passes"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            headers = sign_headers(self.device.secret, self.device.device_id, body, now=time.time())
            try:
                answer = await client.post(url, content=body, headers=headers, timeout=10)
            except httpx.TransportError as exc:
                self.answers[type(exc).__name__] += 1
                await asyncio.sleep(1)
                continue
            self.answers[str(answer.status_code)] += 1
            if answer.status_code == 202:
                self.sent.extend(items)
                return
            assert answer.status_code == 503, answer.text  # nothing else is acceptable
            assert answer.headers.get("retry-after"), answer.headers
            await asyncio.sleep(min(float(answer.headers["retry-after"]), 1.0))
        raise AssertionError(f"a batch was never accepted: {self.answers}")


def site_day(device: DeviceRecord) -> list[dict[str, Any]]:
    """A few hours of one gate: even workers end inside (in, out, in), odd ones left."""
    start = datetime.now(UTC) - timedelta(hours=5)
    items = []
    for worker in range(WORKERS):
        for k in range(3 + worker % 2):
            items.append(
                {
                    "serial": worker * 10 + k,
                    "occurred_at": (start + timedelta(minutes=70 * k, seconds=worker)).isoformat(),
                    "direction": "in" if k % 2 == 0 else "out",
                    "method": "face",
                    "worker_id": f"W{worker}",
                    "score": 0.91,
                }
            )
    items.sort(key=lambda item: str(item["occurred_at"]))
    return items


async def run_load(gate: Gate, items: list[dict[str, Any]], *, pace_s: float) -> None:
    async with httpx.AsyncClient() as client:
        for start in range(0, len(items), BATCH):
            await gate.send(client, items[start : start + BATCH])
            await asyncio.sleep(pace_s)


def expected_attendance(
    device: DeviceRecord, items: list[dict[str, Any]]
) -> tuple[set[tuple[Any, ...]], set[str]]:
    """Attendance days and presence as the pure core computes them from the passes."""
    rules = AttendanceRules()
    by_worker: dict[str, list[Swipe]] = defaultdict(list)
    for item in items:
        by_worker[item["worker_id"]].append(
            Swipe(
                f"{device.device_id}:{item['serial']}",
                datetime.fromisoformat(item["occurred_at"]),
                Direction(item["direction"]),
                PassMethod(item["method"]),
                device.device_id,
            )
        )
    now = datetime.now(UTC)
    days: set[tuple[Any, ...]] = set()
    on_site = set()
    for worker, swipes in by_worker.items():
        timeline = build_timeline(swipes, rules, now=now)
        if timeline.open_session() is not None:
            on_site.add(worker)
        for day in attendance_days(timeline, rules).values():
            days.add(
                (
                    worker,
                    day.day,
                    None if day.first_in is None else int(day.first_in.timestamp()),
                    None if day.last_out is None else int(day.last_out.timestamp()),
                    day.sessions,
                    day.swipes,
                    tuple(sorted(flag.value for flag in day.flags)),
                )
            )
    return days, on_site


def stored_attendance(stack: Settings, project_id: str) -> set[tuple[Any, ...]]:
    rows = connect(stack.clickhouse_url).execute(
        "SELECT worker_id, day, toUnixTimestamp(first_in), toUnixTimestamp(last_out), sessions,"
        " swipes, flags FROM attendance_days FINAL WHERE project_id = %(p)s",
        {"p": project_id},
    )
    return {(w, d, fi, lo, s, sw, tuple(sorted(flags))) for w, d, fi, lo, s, sw, flags in rows}


def stored_daily(stack: Settings, project_id: str) -> dict[date, tuple[int, int]]:
    rows = connect(stack.clickhouse_url).execute(
        "SELECT day, uniqExactMerge(passes), uniqExactMerge(workers) FROM project_daily"
        " WHERE project_id = %(p)s GROUP BY day",
        {"p": project_id},
    )
    return {day: (int(passes), int(workers)) for day, passes, workers in rows}


async def assert_exact_outcome(stack: Settings, gate: Gate, items: list[dict[str, Any]]) -> None:
    device = gate.device
    expected_ids = sorted(f"{device.device_id}:{item['serial']}" for item in items)
    assert sorted(f"{device.device_id}:{item['serial']}" for item in gate.sent) == expected_ids
    await wait_until(lambda: stored_event_ids(stack, device.project_id) == expected_ids, 120)
    copies = connect(stack.clickhouse_url).execute(
        "SELECT count() FROM gate_passes FINAL WHERE project_id = %(p)s", {"p": device.project_id}
    )[0][0]
    assert copies == len(items)  # stored once

    days, on_site = expected_attendance(device, items)
    await wait_until(lambda: stored_attendance(stack, device.project_id) == days, 60)

    daily: dict[date, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for item in items:
        moment = datetime.fromisoformat(item["occurred_at"])
        passes, workers = daily[AttendanceRules().local_day(moment)]
        passes.add(str(item["serial"]))
        workers.add(item["worker_id"])
    want = {day: (len(p), len(w)) for day, (p, w) in daily.items()}
    await wait_until(lambda: stored_daily(stack, device.project_id) == want, 60)

    redis = Redis.from_url(stack.redis_url)

    def presence() -> set[str]:
        raw = redis.get(presence_key(stack.namespace, device.project_id))
        return set(json.loads(raw)["workers"]) if raw else set()

    await wait_until(lambda: presence() == on_site, 60)

    letters = [d for d in await dead_letters(stack) if device.device_id in d["payload"]]
    assert letters == [], letters


def _pid(stack: Settings, name: str) -> int:
    pid = {row.name: row for row in status(stack)}[name].pid
    assert pid is not None
    return pid


async def _restarted(stack: Settings, name: str, old_pid: int, timeout_s: float = 90) -> None:
    def back() -> bool:
        row = {r.name: r for r in status(stack)}[name]
        return row.healthy and row.pid not in (None, old_pid)

    await wait_until(back, timeout_s)


@asynccontextmanager
async def frozen(pid: int) -> AsyncIterator[None]:
    """The process stops answering (SIGSTOP) and resumes (SIGCONT), whatever happens."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def under_load(
    stack: Settings, fault: Callable[[], Awaitable[None]], *, pace_s: float = 0.15
) -> Gate:
    """Post a site's passes while ``fault`` happens; then check the outcome is exact."""
    device = new_device(stack)
    gate, items = Gate(stack, device), site_day(device)
    load = asyncio.create_task(run_load(gate, items, pace_s=pace_s))
    await asyncio.sleep(1.0)  # the load is under way
    await fault()
    await load
    await assert_exact_outcome(stack, gate, items)
    print(f"\n{fault.__name__}: gate answers {dict(gate.answers)}")  # for the closing note
    return gate


async def test_streams_worker_killed_mid_load(stack: Settings) -> None:
    async def kill_streams() -> None:
        pid = _pid(stack, "streams")
        os.killpg(pid, signal.SIGKILL)
        await _restarted(stack, "streams", pid)

    await under_load(stack, kill_streams)


async def test_clickhouse_stopped_for_40_seconds_under_load(stack: Settings) -> None:
    async def stop_clickhouse() -> None:
        async with frozen(_pid(stack, "clickhouse")):
            await asyncio.sleep(40)

    await under_load(stack, stop_clickhouse, pace_s=0.5)


async def test_redis_restarted_under_load(stack: Settings) -> None:
    async def restart_redis() -> None:
        pid = _pid(stack, "redis")
        os.killpg(pid, signal.SIGKILL)
        await _restarted(stack, "redis", pid)

    gate = await under_load(stack, restart_redis)
    assert set(gate.answers) <= {"202", "503", "ConnectError", "ReadError", "RemoteProtocolError"}


async def test_postgres_restarted_the_api_answers_503_meanwhile_never_500(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    seen: Counter[int] = Counter()
    reasons: set[str] = set()
    workers = f"/v1/workers?project_id={site.project_a}"
    officer = auth(site.tokens["officer_a"])

    async def restart_postgres() -> None:
        pid = _pid(stack, "postgres")
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown; the supervisor restarts it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = await http.get(workers, headers=officer)
            seen[answer.status_code] += 1
            if answer.status_code == 503:
                assert answer.headers["retry-after"]
                reasons.add(answer.json()["reason"])
            elif seen[503] and answer.status_code == 200:
                return  # down, then back
            await asyncio.sleep(0.05)

    await under_load(stack, restart_postgres)
    print(f"api answers while PostgreSQL restarted: {dict(seen)}")
    assert set(seen) <= {200, 503}, seen  # never a 500
    assert seen[503] > 0 and any("PostgreSQL" in reason for reason in reasons), (seen, reasons)


async def test_broker_stopped_ingest_answers_503_and_a_retrying_gate_loses_nothing(
    stack: Settings,
) -> None:
    async def stop_broker() -> None:
        async with frozen(_pid(stack, "kafka")):
            await asyncio.sleep(stack.ingest_publish_timeout_s + 6)

    gate = await under_load(stack, stop_broker)
    assert gate.answers["503"] > 0, gate.answers
