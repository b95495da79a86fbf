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


def unknown_faces_by_gate_of(
    db: Executor, projects: Sequence[str], since: datetime
) -> dict[str, dict[str, int]]:
    """Per project and gate, the unknown faces since ``since``."""
    if not projects:
        return {}
    rows = db.rows(
        "SELECT project_id, device_id, uniqExact(event_id) FROM gate_passes"
        " WHERE project_id IN %(projects)s AND worker_id IS NULL AND method = 'face'"
        " AND occurred_at >= %(since)s GROUP BY project_id, device_id",
        {"projects": tuple(projects), "since": _naive_utc(since)},
    )
    found: dict[str, dict[str, int]] = {}
    for project, gate, count in rows:
        found.setdefault(project, {})[gate] = int(count)
    return found


def recent_visits(db: Executor, since: datetime) -> list[tuple[str, str, datetime]]:
    """(worker, project, first pass) per worker and project since ``since``."""
    rows = db.rows(
        "SELECT worker_id, project_id, min(occurred_at) FROM gate_passes"
        " WHERE worker_id IS NOT NULL AND occurred_at >= %(since)s"
        " GROUP BY worker_id, project_id",
        {"since": _naive_utc(since)},
    )
    return [(str(row[0]), row[1], row[2].replace(tzinfo=UTC)) for row in rows]
