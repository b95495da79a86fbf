"""Whether an event's time is believable (the floor: imports nothing upward).

Device clocks are wrong more often than one would like: a gate whose clock was reset says
1970, a gate with bad firmware says 9999. An event time must lie between the backlog
horizon (devices buffer while offline, but not forever) and server time plus the allowed
clock skew. Ingest refuses other times with a 422; the topic decoders dead-letter them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.errors import FieldProblem
from infra.settings import Settings


@dataclass(frozen=True)
class EventTimeWindow:
    max_backlog: timedelta
    max_skew: timedelta

    @classmethod
    def of(cls, settings: Settings) -> EventTimeWindow:
        return cls(
            max_backlog=timedelta(days=settings.max_backlog_days),
            max_skew=timedelta(seconds=settings.device_clock_skew_s),
        )

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and the latest believable moment at ``now`` (both included)."""
        return now - self.max_backlog, now + self.max_skew

    def problem(self, field: str, moment: datetime, now: datetime) -> FieldProblem | None:
        """Why ``moment`` (aware) is not believable at ``now``, or None when it is."""
        if moment < now - self.max_backlog:
            days = self.max_backlog.days
            return FieldProblem(
                field,
                f"is before the backlog horizon: more than {days} days before server time",
                f"{field}: 时间早于允许补传的期限（{days}天），请检查设备时钟",
            )
        if moment > now + self.max_skew:
            seconds = int(self.max_skew.total_seconds())
            return FieldProblem(
                field,
                f"is in the future: more than {seconds} s after server time",
                f"{field}: 时间晚于服务器时间，请检查设备时钟",
            )
        return None

    def problems(
        self, moments: Iterable[tuple[str, datetime]], now: datetime
    ) -> list[FieldProblem]:
        found = (self.problem(field, moment, now) for field, moment in moments)
        return [problem for problem in found if problem is not None]
