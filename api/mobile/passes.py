"""The pass a phone makes: a clock-in or a QR sign-in is a pass like a gate's (pure)."""

from __future__ import annotations

import uuid
from datetime import datetime

from streams.records import Direction, PassEvent, PassMethod

#: The "gate" of passes made in the worker app (the device tables know it as such).
APP_DEVICE = "mobile-app"


def phone_pass(
    project_id: str,
    worker_id: int,
    direction: Direction,
    method: PassMethod,
    now: datetime,
    *,
    score: float | None = None,
    snapshot_ref: str | None = None,
) -> PassEvent:
    return PassEvent(
        event_id=f"{method.value}:{worker_id}:{uuid.uuid4().hex[:12]}",
        device_id=APP_DEVICE,
        project_id=project_id,
        worker_id=str(worker_id),
        direction=direction,
        method=method,
        occurred_at=now,
        received_at=now,
        score=None if score is None else round(score, 3),
        snapshot_ref=snapshot_ref,
    )
