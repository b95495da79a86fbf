"""Rules judged on the pass stream as it flows (pure): a spike of unknown faces at a gate,
and the same worker at two projects within an hour. The streams worker feeds every pass
and gets findings back the moment a condition starts; the scheduled evaluation judges the
same conditions from ClickHouse and clears them when they end.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from alerts.profiles import RuleProfile
from alerts.rules import Finding, cross_project_finding, unknown_faces_finding
from streams.local_time import BEIJING
from streams.records import PassEvent, PassMethod


class StreamingRules:
    def __init__(self, profile: RuleProfile) -> None:
        self._profile = profile
        self._unknown: dict[str, deque[tuple[datetime, str]]] = {}  # gate -> (when, snapshot)
        self._last_seen: dict[str, tuple[str, datetime]] = {}  # worker -> (project, when)
        self._raised: set[tuple[str, str, str]] = set()

    def observe(self, event: PassEvent) -> list[Finding]:
        found = [*self._unknown_faces(event), *self._cross_project(event)]
        fresh = [f for f in found if f.key not in self._raised]
        self._raised.update(f.key for f in fresh)
        if len(self._raised) > 100_000:  # keys carry the day: old ones need not be kept
            self._raised.clear()
        return fresh

    def _unknown_faces(self, event: PassEvent) -> list[Finding]:
        if event.worker_id is not None or event.method is not PassMethod.FACE:
            return []
        window = timedelta(minutes=self._profile.unknown_faces_minutes)
        recent = self._unknown.setdefault(event.device_id, deque())
        recent.append((event.occurred_at, event.snapshot_ref or ""))
        while recent and event.occurred_at - recent[0][0] > window:
            recent.popleft()
        if len(recent) <= self._profile.unknown_faces_max:
            return []
        day = event.occurred_at.astimezone(BEIJING).date().isoformat()
        snapshots = [ref for _, ref in recent if ref][-10:]
        return [
            unknown_faces_finding(
                event.project_id, event.device_id, day, len(recent), self._profile, snapshots
            )
        ]

    def _cross_project(self, event: PassEvent) -> list[Finding]:
        if event.worker_id is None:
            return []
        previous = self._last_seen.get(event.worker_id)
        self._last_seen[event.worker_id] = (event.project_id, event.occurred_at)
        if previous is None or previous[0] == event.project_id:
            return []
        if abs(event.occurred_at - previous[1]) > timedelta(
            minutes=self._profile.cross_project_minutes
        ):
            return []
        now = (event.project_id, event.occurred_at)
        return [cross_project_finding(event.worker_id, previous, now, self._profile)]
