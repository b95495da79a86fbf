"""The ClickHouse sink for pass events: pure row conversion plus a thin batched writer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clickhouse_driver import Client

from streams.records import PassEvent

PASS_COLUMNS = (
    "event_id",
    "device_id",
    "project_id",
    "worker_id",
    "direction",
    "method",
    "occurred_at",
    "received_at",
    "score",
    "snapshot_ref",
    "verification",
)
_INSERT_PASSES = f"INSERT INTO gate_passes ({', '.join(PASS_COLUMNS)}) VALUES"


def _epoch_seconds(moment: datetime) -> int:
    # clickhouse-driver writes an int to a DateTime column as it is: no per-value time
    # zone conversion in Python (pytz), which was most of a batch's serialisation cost.
    return int(moment.timestamp())


def pass_row(event: PassEvent) -> tuple[Any, ...]:
    return (
        event.event_id,
        event.device_id,
        event.project_id,
        event.worker_id,
        event.direction.value,
        event.method.value,
        _epoch_seconds(event.occurred_at),
        _epoch_seconds(event.received_at),
        event.score,
        event.snapshot_ref or "",
        event.verification.value if event.verification else "",
    )


def pass_columns(events: Sequence[PassEvent]) -> list[list[Any]]:
    """The events as one list per column of ``PASS_COLUMNS`` (clickhouse-driver columnar)."""
    return [list(column) for column in zip(*(pass_row(event) for event in events), strict=True)]


class PassSink:
    """Writes batches of pass events; a replayed batch is harmless (ReplacingMergeTree)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def write(self, events: Sequence[PassEvent]) -> float:
        """Insert ``events`` in one request; returns the seconds it took."""
        if not events:
            return 0.0
        started = time.perf_counter()
        self._client.execute(_INSERT_PASSES, pass_columns(events), columnar=True)
        return time.perf_counter() - started
