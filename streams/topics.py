"""Topic names and partition counts; created explicitly (the local broker needs it)."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.partitioner import murmur2

from infra.settings import Settings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    replication: int = 1


GATE_FRAMES = "gate.frames"
GATE_PASSES = "gate.passes"
GATE_HEARTBEATS = "gate.heartbeats"
REGISTRY = "registry"
PAYROLL = "payroll"
DEAD_LETTER = "deadletter"

# The design's attendance and alerts topics are not used: attendance days are derived
# from gate_passes in ClickHouse, and alert transitions reach dashboards and notifications
# through Redis channels and Celery. So they are not created either.
ALL_TOPICS = (GATE_FRAMES, GATE_PASSES, GATE_HEARTBEATS, REGISTRY, PAYROLL, DEAD_LETTER)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic SitePulse uses, namespaced, with one partition count for all of them."""
    return [
        TopicSpec(
            settings.topic(name),
            settings.kafka_partitions,
            compacted=name == REGISTRY,
            replication=settings.kafka_replication,
        )
        for name in ALL_TOPICS
    ]


def partition_of(project_id: str, partitions: int) -> int:
    """The partition a project's events go to: every topic is keyed by project id, and
    the producers' default partitioner (Kafka's murmur2) places a key so."""
    return int(murmur2(project_id.encode()) & 0x7FFFFFFF) % partitions
