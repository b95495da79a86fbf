"""The launcher: every process healthy, metrics exposed, a dead service restarted."""

from __future__ import annotations

import os
import signal

import httpx

from infra.launch.stack import status
from infra.settings import Settings

from .helpers import new_device, pass_item, post_passes, stored_event_ids, wait_until


def test_every_server_and_service_is_healthy(stack: Settings) -> None:
    rows = {row.name: row for row in status(stack)}
    assert set(rows) == {
        "kafka",
        "postgres",
        "clickhouse",
        "redis",
        "ingest",
        "api",
        "realtime",
        "streams",
        "celery",
    }
    assert all(row.healthy and row.pid for row in rows.values()), rows


async def test_services_expose_prometheus_metrics(stack: Settings) -> None:
    device = new_device(stack)
    assert (await post_passes(stack, device, [pass_item(1)])).status_code == 202
    await wait_until(lambda: len(stored_event_ids(stack, device.project_id)) == 1)
    pages = {}
    for name, port in (
        ("ingest", stack.ingest_port),
        ("streams", stack.streams_port),
        ("realtime", stack.realtime_port),
        ("api", stack.api_port),
        ("celery", stack.celery_metrics_port),
    ):
        async with httpx.AsyncClient(timeout=5) as client:
            pages[name] = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'sitepulse_event_delay_seconds_count{stage="ingested"}' in pages["ingest"]
    assert 'sitepulse_event_delay_seconds_count{stage="stored"}' in pages["streams"]
    assert 'sitepulse_events_total{outcome="stored",service="streams"}' in pages["streams"]
    assert "sitepulse_realtime_clients" in pages["realtime"]
    assert all("sitepulse_" in page for page in pages.values())


async def test_a_killed_service_is_restarted_and_works_again(stack: Settings) -> None:
    before = {row.name: row for row in status(stack)}["ingest"]
    assert before.pid is not None
    os.killpg(before.pid, signal.SIGKILL)

    def restarted() -> bool:
        row = {r.name: r for r in status(stack)}["ingest"]
        return row.healthy and row.pid != before.pid and row.restarts == before.restarts + 1

    await wait_until(restarted, timeout_s=60)
    device = new_device(stack)
    assert (await post_passes(stack, device, [pass_item(1)])).status_code == 202
