"""Opens alerts found on the pass stream at once (see :mod:`alerts.streaming`).

Best effort by design: if PostgreSQL or the Celery broker cannot be reached, the finding
is logged and counted, and the stream goes on; the scheduled evaluation judges the same
conditions from ClickHouse within a minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from alerts.lifecycle import plan
from alerts.rules import Finding
from alerts.store import apply_plan, load_alerts
from infra.metrics import ERRORS, EVENTS

log = logging.getLogger(__name__)


class AlertRaiser:
    def __init__(self, pool: AsyncConnectionPool, celery: Any) -> None:
        self._pool = pool
        self._celery = celery

    async def raise_findings(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        try:
            async with self._pool.connection() as conn:
                stored = await load_alerts(conn, [], [f.key for f in findings])
                changes = plan(
                    findings,
                    stored,
                    evaluated=set(),  # the stream only opens; the schedule clears
                    now=datetime.now(UTC),
                    escalate_after=timedelta(days=365),
                )
                transitions = await apply_plan(conn, changes, datetime.now(UTC))
            for alert_id, transition in transitions:
                await asyncio.to_thread(
                    self._celery.send_task, "alerts.notify", args=[alert_id, transition]
                )
            EVENTS.labels("streams", "alerts_raised").inc(len(transitions))
        except Exception:
            ERRORS.labels("streams", "alert_raise").inc()
            log.exception("could not raise %d streaming alerts; the schedule will", len(findings))
