"""Small helpers for talking to the real stack like a device, a dashboard and an analyst."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from analytics.clickhouse import connect
from api.auth.tokens import viewer_token
from api.stores.devices import DeviceRecord, provision_devices
from infra.settings import Settings
from ingest.signing import sign_headers
from realtime.client import LiveSubscriber
from streams.topics import DEAD_LETTER


def new_device(settings: Settings, project_id: str | None = None) -> DeviceRecord:
    project = project_id or f"T{uuid.uuid4().hex[:10]}"
    device = DeviceRecord(f"{project}-G1", project, secrets.token_hex(24))
    provision_devices(settings.postgres_dsn, [device])
    return device


def pass_item(serial: int, *, minutes_ago: int = 1, **overrides: Any) -> dict[str, Any]:
    occurred = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    item: dict[str, Any] = {
        "serial": serial,
        "occurred_at": occurred.isoformat(),
        "direction": "in" if serial % 2 else "out",
        "method": "face",
        "worker_id": f"W{serial % 7}",
        "score": 0.9,
    }
    item.update(overrides)
    return item


async def post_passes(
    settings: Settings,
    device: DeviceRecord,
    items: list[dict[str, Any]] | None = None,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    payload = body if body is not None else json.dumps({"events": items}).encode()
    signed = headers or sign_headers(device.secret, device.device_id, payload, now=time.time())
    url = f"http://{settings.bind_host}:{settings.ingest_port}/v1/passes"
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(url, content=payload, headers=signed)


def stored_event_ids(settings: Settings, project_id: str) -> list[str]:
    rows = connect(settings.clickhouse_url).execute(
        "SELECT event_id FROM gate_passes FINAL WHERE project_id = %(p)s ORDER BY event_id",
        {"p": project_id},
    )
    return [row[0] for row in rows]


async def wait_until(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.2)


def dashboard(settings: Settings, project_id: str) -> LiveSubscriber:
    """A live feed of one project, watched with a token for that project."""
    token = viewer_token(os.environ["SITEPULSE_TOKEN_SECRET"], project_id)
    return LiveSubscriber.for_project(settings.bind_host, settings.realtime_port, project_id, token)


async def dead_letters(settings: Settings) -> list[dict[str, Any]]:
    """Every letter on the dead-letter topic now, read to the topic's end."""
    return await topic_values(settings, DEAD_LETTER)


async def topic_values(settings: Settings, name: str) -> list[dict[str, Any]]:
    """Every value on the topic ``name`` now (JSON), read to the topic's end."""
    topic = settings.topic(name)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        letters: list[dict[str, Any]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=500)
            letters += [json.loads(m.value) for ms in batches.values() for m in ms if m.value]
        return letters
    finally:
        await consumer.stop()


async def dead_letters_about(
    settings: Settings, markers: set[str], timeout_s: float = 60
) -> dict[str, dict[str, Any]]:
    """The letter whose payload mentions each marker, waiting until all have arrived."""
    found: dict[str, dict[str, Any]] = {}

    async def all_there() -> bool:
        for letter in await dead_letters(settings):
            found.update({m: letter for m in markers if m in letter["payload"]})
        return set(found) == markers

    await wait_until(all_there, timeout_s)
    return found
