"""A pass as a gate sends it, for tests of what the streams make of passes."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.records import Direction, PassEvent, PassMethod


def pass_event(project_id: str, serial: int, snapshot_ref: str | None = None) -> PassEvent:
    """A face pass through gate G1 of ``project_id``, just now."""
    now = datetime.now(UTC)
    return PassEvent(
        event_id=f"{project_id}-G1:{serial}",
        device_id=f"{project_id}-G1",
        project_id=project_id,
        worker_id=f"W{serial}",
        direction=Direction.IN,
        method=PassMethod.FACE,
        occurred_at=now,
        received_at=now,
        snapshot_ref=snapshot_ref,
    )
