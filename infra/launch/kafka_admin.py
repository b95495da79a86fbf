"""Explicit topic creation with consistent partition counts (Tansu auto-creates badly)."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from infra.errors import StackError
from streams.topics import TopicSpec


async def _ensure(bootstrap: str, specs: list[TopicSpec]) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        for spec in missing:
            config = {"cleanup.policy": "compact"} if spec.compacted else {}
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=config)]
                )
        described = await admin.describe_topics([spec.name for spec in specs])
        counts = {item["topic"]: len(item["partitions"]) for item in described}
        wrong = [
            f"{s.name} has {counts.get(s.name)}"
            for s in specs
            if counts.get(s.name) != s.partitions
        ]
        if wrong:
            raise StackError(
                "topics exist with other partition counts than SITEPULSE_KAFKA_PARTITIONS: "
                + ", ".join(wrong)
                + ". Set SITEPULSE_KAFKA_PARTITIONS to the topics' count to keep this data"
                " directory (the default grew from 4 to 12), or start from a fresh one."
            )
        return [spec.name for spec in missing]
    finally:
        await admin.close()


def ensure_topics(bootstrap: str, specs: list[TopicSpec]) -> list[str]:
    """Create the missing topics; returns their names. Raises if a count disagrees."""
    return asyncio.run(_ensure(bootstrap, specs))
