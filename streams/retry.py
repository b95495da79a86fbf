"""Waiting out an outage of a store: retry while it does not answer, never when it refuses.

Only outages are retried (a connection refused, reset or timed out; a server that says
"not now"); everything else is raised at once, for the caller to isolate and dead-letter.
Retrying a refusal would block the stream forever on one bad value.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from infra.metrics import ERRORS
from infra.outages import is_outage

log = logging.getLogger(__name__)
T = TypeVar("T")
_RETRY_DELAYS_S = (0.5, 1, 2, 5, 10)


async def retrying(what: str, operation: Callable[[], Awaitable[T]]) -> T:
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
            ERRORS.labels("streams", what).inc()
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
