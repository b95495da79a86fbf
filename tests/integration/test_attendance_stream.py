"""Attendance through the real stack: passes posted at a gate become attendance days in
ClickHouse and presence in Redis, with repeats, a device backlog and a roster exit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from redis import Redis

from analytics.clickhouse import connect
from infra.settings import Settings
from streams.channels import presence_key
from streams.local_time import BEIJING

from .helpers import new_device, post_passes, wait_until
from .people import Site, auth, exit_worker, register_worker

YESTERDAY = datetime.now(BEIJING).date() - timedelta(days=1)


def beijing(clock: str, day: date = YESTERDAY) -> str:
    hours, minutes, seconds = (int(part) for part in f"{clock}:0".split(":")[:3])
    return datetime.combine(day, time(hours, minutes, seconds), BEIJING).isoformat()


def swipe(serial: int, worker: str, clock: str, direction: str) -> dict[str, Any]:
    return {
        "serial": serial,
        "occurred_at": clock if "T" in clock else beijing(clock),
        "direction": direction,
        "method": "face",
        "worker_id": worker,
        "score": 0.9,
    }


def attendance(settings: Settings, project: str, worker: str) -> dict[date, tuple[Any, ...]]:
    rows = connect(settings.clickhouse_url).execute(
        "SELECT day, seconds_on_site, sessions, repeats_dropped, flags, on_site"
        " FROM attendance_days FINAL WHERE project_id = %(p)s AND worker_id = %(w)s",
        {"p": project, "w": worker},
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def presence(settings: Settings, project: str) -> dict[str, Any]:
    raw = Redis.from_url(settings.redis_url).get(presence_key(settings.namespace, project))
    return json.loads(raw) if raw else {"headcount": 0, "workers": []}


async def test_repeats_and_a_backlog_make_one_corrected_day(stack: Settings) -> None:
    device = new_device(stack)
    project, worker = device.project_id, f"W{uuid.uuid4().hex[:6]}"
    first = [
        swipe(1, worker, "07:30:00", "in"),
        swipe(2, worker, "07:30:20", "in"),  # the gate fired twice
        swipe(3, worker, "12:00", "out"),
    ]
    assert (await post_passes(stack, device, first)).status_code == 202
    await wait_until(lambda: attendance(stack, project, worker).get(YESTERDAY, (0,))[0] > 0)
    assert attendance(stack, project, worker)[YESTERDAY][:3] == (4.5 * 3600, 1, 1)
    # Two hours offline, then the gate sends its backlog.
    backlog = [swipe(5, worker, "14:40", "out"), swipe(4, worker, "13:05", "in")]
    assert (await post_passes(stack, device, backlog)).status_code == 202
    expected = (270 + 95) * 60
    await wait_until(lambda: attendance(stack, project, worker)[YESTERDAY][0] == expected)
    _, sessions, repeats, flags, on_site = attendance(stack, project, worker)[YESTERDAY]
    assert (sessions, repeats, flags, on_site) == (2, 1, [], 0)
    # A resent batch changes nothing.
    assert (await post_passes(stack, device, first)).status_code == 202
    assert attendance(stack, project, worker)[YESTERDAY][0] == expected


async def test_presence_follows_entries_exits_and_a_roster_exit(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = str(await register_worker(http, officer, site.project_a))
    visitor = f"V{uuid.uuid4().hex[:6]}"
    device = new_device(stack, site.project_a)
    now = datetime.now(UTC)
    entries = [
        swipe(1, worker, (now - timedelta(minutes=20)).isoformat(), "in"),
        swipe(2, visitor, (now - timedelta(minutes=15)).isoformat(), "unknown"),  # inferred in
    ]
    assert (await post_passes(stack, device, entries)).status_code == 202
    await wait_until(lambda: presence(stack, site.project_a)["headcount"] == 2)
    assert sorted(presence(stack, site.project_a)["workers"]) == sorted([worker, visitor])
    # The trade comes from the registry, which may arrive just after the pass.
    trades = {"木工": 1, "未登记工种": 1}
    await wait_until(lambda: presence(stack, site.project_a)["by_trade"] == trades)
    leaving = [swipe(3, visitor, (now - timedelta(minutes=5)).isoformat(), "out")]
    assert (await post_passes(stack, device, leaving)).status_code == 202
    await wait_until(lambda: presence(stack, site.project_a)["workers"] == [worker])
    # The worker is exited from the project while still on site.
    await exit_worker(http, officer, worker, site.project_a)
    await wait_until(lambda: presence(stack, site.project_a)["headcount"] == 0)
    today = (now - timedelta(minutes=20)).astimezone(BEIJING).date()  # the entry's day
    await wait_until(
        lambda: "exited_while_on_site" in attendance(stack, site.project_a, worker)[today][3]
    )
