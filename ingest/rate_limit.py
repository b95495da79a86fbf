"""Per-device rate limit: at most so many requests from one device in a calendar minute
(its own ``requests_per_minute``, else the service's), counted in Redis so every ingest
process shares the count. A terminal stuck in a resend loop, or a flood from a stolen
credential, is answered 429 with ``Retry-After`` (terminals send again later) instead of
crowding out the rest of the site's gates."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from infra.errors import TooManyAttemptsError
from infra.metrics import ERRORS


class DeviceRateLimit:
    def __init__(self, redis: Redis, *, namespace: str, per_minute: int) -> None:
        self._redis = redis
        self._namespace = namespace
        self._per_minute = per_minute

    async def check(self, device_id: str, own_limit: int | None = None) -> None:
        """Count one request; raises :class:`TooManyAttemptsError` past the device's own
        limit, or the service's."""
        limit = own_limit or self._per_minute
        now = time.time()
        minute = int(now // 60)
        key = f"{self._namespace}ingest.rate.{device_id}.{minute}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = await pipe.execute()
        if int(count) > limit:
            ERRORS.labels("ingest", "rate_limited").inc()
            raise TooManyAttemptsError(
                f"device {device_id} sent more than {limit} requests this minute",
                retry_after_s=max(1, 60 - int(now % 60)),
                message_zh="设备请求过于频繁，请稍后再试",
            )
