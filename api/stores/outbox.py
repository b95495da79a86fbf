"""Registry changes, payroll facts and app passes: recorded in the caller's transaction,
published to Kafka afterwards.

:func:`record_change` (the ``registry`` topic), :func:`record_payroll_fact` (the
``payroll`` topic) and :func:`record_pass` (``gate.passes``: a phone's clock-in) add an
outbox row inside the same PostgreSQL transaction as the change,
so a change is never published without being committed, nor committed without being
published eventually. :class:`OutboxPublisher` drains the outbox in order, marking
rows only after the broker acknowledged them (at least once; consumers key by entity).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.metrics import EVENTS
from infra.retry import keep_running
from streams.records import PassEvent, PayrollFact, RegistryChange
from streams.topics import GATE_PASSES, PAYROLL, REGISTRY

log = logging.getLogger(__name__)


async def record_change(
    conn: AsyncConnection[Any], entity: str, entity_id: str, state: dict[str, Any]
) -> None:
    """Queue ``entity``'s new state for the registry topic (call inside the transaction)."""
    await conn.execute(
        "INSERT INTO registry_outbox (key, payload) VALUES (%s, %s)",
        (
            f"{entity}:{entity_id}",
            json.dumps(
                {"entity": entity, "entity_id": entity_id, "state": state},
                ensure_ascii=False,
                default=str,
            ),
        ),
    )


async def record_payroll_fact(
    conn: AsyncConnection[Any], fact: str, key: str, data: dict[str, Any]
) -> None:
    """Queue a payroll fact for the payroll topic (call inside the transaction)."""
    await conn.execute(
        "INSERT INTO registry_outbox (topic, key, payload) VALUES (%s, %s, %s)",
        (
            PAYROLL,
            key,
            json.dumps({"fact": fact, "data": data}, ensure_ascii=False, default=str),
        ),
    )


async def record_pass(conn: AsyncConnection[Any], event: PassEvent) -> None:
    """Queue a pass for ``gate.passes`` (key: its project), inside the transaction."""
    await conn.execute(
        "INSERT INTO registry_outbox (topic, key, payload) VALUES (%s, %s, %s)",
        (GATE_PASSES, event.project_id, event.model_dump_json()),
    )


class OutboxPublisher:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        bootstrap: str,
        topic_of: Callable[[str], str],
        *,
        poll_s: float = 0.1,
    ) -> None:
        self._pool = pool
        self._bootstrap = bootstrap
        self._topic_of = topic_of  # the outbox's topic name -> the namespaced Kafka topic
        self._poll_s = poll_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await keep_running("outbox", self._publish_forever, service="api")

    async def _publish_forever(self) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all")
        await producer.start()
        try:
            while True:
                if not await self.publish_pending(producer):
                    await asyncio.sleep(self._poll_s)
        finally:
            await producer.stop()

    async def publish_pending(self, producer: AIOKafkaProducer, limit: int = 500) -> int:
        """Publish one batch in sequence order; returns how many rows were published."""
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT seq, key, payload, created_at, topic FROM registry_outbox"
                " WHERE published_at IS NULL ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,),
            )
            rows = await cursor.fetchall()
            if not rows:
                return 0
            pending = []
            for seq, key, payload, created_at, topic in rows:
                at = created_at.astimezone(UTC) if created_at else datetime.now(UTC)
                value = _value(topic, key, payload, seq, at)
                pending.append(await producer.send(self._topic_of(topic), value, key=key.encode()))
            await asyncio.gather(*pending)
            await conn.execute(
                "UPDATE registry_outbox SET published_at = now() WHERE seq = ANY(%s)",
                ([row[0] for row in rows],),
            )
        EVENTS.labels("api", "registry_published").inc(len(rows))
        return len(rows)


def _value(topic: str, key: str, payload: dict[str, Any], seq: int, at: datetime) -> bytes:
    if topic == GATE_PASSES:
        return PassEvent.model_validate(payload).to_json()
    if topic == REGISTRY:
        change = RegistryChange(
            entity=payload["entity"],
            entity_id=payload["entity_id"],
            state=payload["state"],
            seq=seq,
            changed_at=at,
        )
        return change.to_json()
    return PayrollFact(
        fact=payload["fact"], key=key, data=payload["data"], seq=seq, at=at
    ).to_json()
