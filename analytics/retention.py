"""Retention by monthly partitions (ClickHouse 18.16 has no TTL): drop what is too old."""

from __future__ import annotations

import logging
from datetime import date

from analytics.attendance_queries import drop_partitions, expired_partitions
from analytics.executor import Executor

log = logging.getLogger(__name__)


def apply_retention(db: Executor, today: date, keep_months: dict[str, int]) -> dict[str, list[int]]:
    """Drop each table's partitions older than its months to keep; returns what was dropped."""
    dropped = {}
    for table, months in keep_months.items():
        expired = expired_partitions(db, table, months, today)
        if expired:
            drop_partitions(db, table, expired)
            log.info("retention: dropped %s partitions %s", table, expired)
        dropped[table] = expired
    return dropped
