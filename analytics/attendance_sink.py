"""Rows of ``attendance_days`` (pure conversion; written through an Executor)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from streams.attendance.timeline import AttendanceDay

ATTENDANCE_COLUMNS = (
    "project_id",
    "worker_id",
    "day",
    "team_id",
    "trade",
    "first_in",
    "last_out",
    "seconds_on_site",
    "sessions",
    "swipes",
    "repeats_dropped",
    "flags",
    "on_site",
    "version",
)


@dataclass(frozen=True)
class AttendanceRecord:
    """One worker's day at one project, with the roster facts dashboards group by."""

    project_id: str
    worker_id: str
    team_id: str
    trade: str
    day: AttendanceDay
    version: int

    def row(self) -> tuple[Any, ...]:
        day = self.day
        return (
            self.project_id,
            self.worker_id,
            day.day,
            self.team_id,
            self.trade,
            _utc_naive(day.first_in),
            _utc_naive(day.last_out),
            day.seconds_on_site,
            min(day.sessions, 65535),
            min(day.swipes, 65535),
            min(day.repeats_dropped, 65535),
            sorted(flag.value for flag in day.flags),
            int(day.on_site),
            self.version,
        )


def _utc_naive(moment: datetime | None) -> datetime | None:
    """clickhouse-driver writes naive datetimes as they are; the columns hold UTC."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def latest_per_day(records: Iterable[AttendanceRecord]) -> list[AttendanceRecord]:
    """The last record of each (project, worker, day): a busy day recomputed many times
    between two flushes is written once."""
    latest: dict[tuple[str, str, date], AttendanceRecord] = {}
    for record in records:
        latest[(record.project_id, record.worker_id, record.day.day)] = record
    return list(latest.values())
