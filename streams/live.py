"""Publishes each new pass once on the project's Redis channel (deduplicated by event_id).

Claim and publish happen in one Lua script per batch: one round trip, and a pass is
published if and only if this call claimed its event_id.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from streams.channels import project_channel
from streams.live_messages import pass_message
from streams.records import PassEvent

# KEYS: one seen-key per event. ARGV[1]: TTL; ARGV[2] and ARGV[3]: each event's channel and
# message, joined by newlines (JSON text holds none): three arguments to pack, not 2n.
_CLAIM_AND_PUBLISH = r"""
local channels, messages = {}, {}
for channel in string.gmatch(ARGV[2], '[^\n]+') do channels[#channels + 1] = channel end
for message in string.gmatch(ARGV[3], '[^\n]+') do messages[#messages + 1] = message end
local published = 0
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, '1', 'NX', 'EX', ARGV[1]) then
    redis.call('PUBLISH', channels[i], messages[i])
    published = published + 1
  end
end
return published
"""


class LivePublisher:
    def __init__(self, redis: Redis, *, namespace: str, dedupe_ttl_s: int) -> None:
        self._redis = redis
        self._namespace = namespace
        self._ttl_s = dedupe_ttl_s
        self._script = redis.register_script(_CLAIM_AND_PUBLISH)

    async def publish_new(self, events: Sequence[PassEvent]) -> int:
        """Publish the events not published before; returns how many were new."""
        if not events:
            return 0
        keys = [f"{self._namespace}seen.pass.{event.event_id}" for event in events]
        channels = "\n".join(project_channel(self._namespace, event.project_id) for event in events)
        messages = "\n".join(pass_message(event) for event in events)
        return int(await self._script(keys=keys, args=[self._ttl_s, channels, messages]))
