"""Each gate's state as its heartbeats and passes tell it (设备状态), kept in Redis for the
device tables: when it last said it is alive, its firmware, its backlog, its last pass.

Streams is the one writer of :func:`~streams.channels.device_state_key`. Times only move
forward, so a replayed heartbeat or backlog never makes a gate look older than it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from infra.errors import InvalidInputError
from infra.metrics import EVENTS, observe_delay
from infra.retry import retrying
from streams.channels import device_state_key
from streams.dead_letters import DeadLetters
from streams.records import HeartbeatEvent, PassEvent, parse_heartbeat_event

# Sets each (field, unix time) pair only where it is newer than what is there.
_KEEP_NEWEST = """
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(current) < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
"""


def newest_times(items: Sequence[tuple[str, datetime]]) -> dict[str, float]:
    """The newest time of each key, as unix seconds."""
    newest: dict[str, float] = {}
    for key, at in items:
        newest[key] = max(newest.get(key, 0.0), at.timestamp())
    return newest


class DeviceStates:
    def __init__(self, redis: Redis, *, namespace: str, dead_letters: DeadLetters) -> None:
        self._redis = redis
        self._key = device_state_key(namespace)
        self._dead_letters = dead_letters

    async def heartbeats(self, values: Sequence[bytes | None], *, source_topic: str) -> None:
        """A batch of ``gate.heartbeats`` values; an unreadable one is dead-lettered."""
        beats: list[HeartbeatEvent] = []
        for value in values:
            try:
                beats.append(parse_heartbeat_event(value or b""))
            except InvalidInputError as exc:
                reason = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
                await self._dead_letters.send(source_topic, "invalid", reason, value)
        facts: dict[FieldT, EncodableT] = {}
        for beat in sorted(beats, key=lambda beat: beat.received_at):
            if beat.firmware is not None:
                facts[f"{beat.device_id}:firmware"] = beat.firmware
            if beat.backlog is not None:
                facts[f"{beat.device_id}:backlog"] = str(beat.backlog)
        times = newest_times([(f"{b.device_id}:heartbeat_at", b.received_at) for b in beats])

        async def write() -> None:
            if facts:
                await self._redis.hset(self._key, mapping=facts)
            await self._keep_newest(times)

        await retrying("redis", write)  # an outage waits; the offsets stay uncommitted
        now = datetime.now(UTC)
        for beat in beats:
            observe_delay("device_state", beat.received_at, now)
        EVENTS.labels("streams", "heartbeat").inc(len(beats))

    async def passes(self, events: Sequence[PassEvent]) -> None:
        """Each gate's newest pass of the batch."""
        await self._keep_newest(
            newest_times([(f"{e.device_id}:last_pass_at", e.occurred_at) for e in events])
        )

    async def _keep_newest(self, times: dict[str, float]) -> None:
        if not times:
            return
        pairs = [str(item) for pair in times.items() for item in pair]
        await self._redis.eval(_KEEP_NEWEST, 1, self._key, *pairs)
