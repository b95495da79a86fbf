"""The ClickHouse figures the alert rules read (same dialect rules as the other queries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from analytics.executor import Executor


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def attendance_span(db: Executor, projects: Sequence[str]) -> dict[str, tuple[date, date]]:
    """The first and last day with attendance, per project."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT project_id, min(day), max(day) FROM attendance_days"
        " WHERE project_id IN %(projects)s GROUP BY project_id",
        {"projects": tuple(projects)},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def unknown_faces_by_gate(db: Executor, project_id: str, since: datetime) -> dict[str, int]:
    rows = db.rows(
        "SELECT device_id, uniqExact(event_id) FROM gate_passes"
        " WHERE project_id = %(project)s AND worker_id IS NULL AND method = 'face'"
        " AND occurred_at >= %(since)s GROUP BY device_id",
        {"project": project_id, "since": _naive_utc(since)},
    )
    return {row[0]: int(row[1]) for row in rows}


def recent_visits(db: Executor, since: datetime) -> list[tuple[str, str, datetime]]:
    """(worker, project, first pass) per worker and project since ``since``."""
    rows = db.rows(
        "SELECT worker_id, project_id, min(occurred_at) FROM gate_passes"
        " WHERE worker_id IS NOT NULL AND occurred_at >= %(since)s"
        " GROUP BY worker_id, project_id",
        {"since": _naive_utc(since)},
    )
    return [(str(row[0]), row[1], row[2].replace(tzinfo=UTC)) for row in rows]
