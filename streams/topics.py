"""Topic names and partition counts; created explicitly (the local broker needs it)."""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings import Settings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False


GATE_FRAMES = "gate.frames"
GATE_PASSES = "gate.passes"
GATE_HEARTBEATS = "gate.heartbeats"
ATTENDANCE = "attendance"
REGISTRY = "registry"
ALERTS = "alerts"
DEAD_LETTER = "deadletter"

ALL_TOPICS = (GATE_FRAMES, GATE_PASSES, GATE_HEARTBEATS, ATTENDANCE, REGISTRY, ALERTS, DEAD_LETTER)


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic SitePulse uses, namespaced, with one partition count for all of them."""
    return [
        TopicSpec(settings.topic(name), settings.kafka_partitions, compacted=name == REGISTRY)
        for name in ALL_TOPICS
    ]
