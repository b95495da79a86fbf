"""Redis clients that survive a Redis restart.

After a restart every pooled connection is dead; without a retry, each one fails its next
command once (a 503 for nothing). These clients reconnect and retry a command a few times
on a connection error before giving up, so only a Redis that stays down is an outage.
"""

from __future__ import annotations

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

_ATTEMPTS = 3


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=0.5, base=0.05)


def async_redis(url: str) -> Redis:
    return Redis.from_url(
        url,
        retry=AsyncRetry(_backoff(), _ATTEMPTS),
        retry_on_error=[ConnectionError, TimeoutError],
        health_check_interval=15,
    )


def sync_redis(url: str) -> SyncRedis:
    return SyncRedis.from_url(
        url,
        retry=Retry(_backoff(), _ATTEMPTS),
        retry_on_error=[ConnectionError, TimeoutError],
        health_check_interval=15,
    )
