"""The two ways SitePulse retries, in one place.

- :func:`retrying` waits out an outage of a store for one operation: it retries while the
  store does not answer, never when it refuses (everything else is raised at once, for the
  caller to isolate and dead-letter; retrying a refusal would block a stream forever).
- :func:`keep_running` keeps a background loop of a service alive (following the registry,
  relaying Redis to dashboards, publishing the outbox): whatever stops it, it starts again.

Both back off from 0.5 s to 10 s and count what happened in ``sitepulse_errors_total``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from infra.metrics import ERRORS
from infra.outages import is_outage

log = logging.getLogger(__name__)
T = TypeVar("T")
_RETRY_DELAYS_S = (0.5, 1, 2, 5, 10)


async def retrying(
    what: str, operation: Callable[[], Awaitable[T]], *, service: str = "streams"
) -> T:
    """Run ``operation``, retrying with capped backoff for as long as ``what`` is down.

    Meanwhile the stream waits rather than drops anything (offsets are not committed) and
    ``sitepulse_errors_total{kind=<what>}`` shows the outage."""
    attempt = 0
    while True:
        try:
            return await operation()
        except Exception as error:
            if not is_outage(error):
                raise
            ERRORS.labels(service, what).inc()
            delay = _RETRY_DELAYS_S[min(attempt, len(_RETRY_DELAYS_S) - 1)]
            attempt += 1
            log.warning(
                "%s unavailable (attempt %d, %s), retrying in %ss",
                what,
                attempt,
                type(error).__name__,
                delay,
            )
            await asyncio.sleep(delay)


async def keep_running(what: str, body: Callable[[], Awaitable[None]], *, service: str) -> None:
    """Run ``body`` until it returns or the task is cancelled, starting it again after any
    failure; the pause grows while it keeps failing and resets once it ran for a minute."""
    attempt = 0
    while True:
        started = time.monotonic()
        try:
            await body()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            ERRORS.labels(service, what).inc()
            if time.monotonic() - started > 60:
                attempt = 0
            delay = _RETRY_DELAYS_S[min(attempt, len(_RETRY_DELAYS_S) - 1)]
            attempt += 1
            log.exception("%s failed; starting it again in %ss", what, delay)
            await asyncio.sleep(delay)
