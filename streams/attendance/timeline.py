"""One worker's passes at one project, turned into attendance days (pure, no I/O).

The rules, in order:

1. **Repeats**: a swipe within ``repeat_window_s`` of the previous kept swipe is dropped when
   their directions agree or either is unknown (a face gate fires several times).
2. **Unknown direction**: ``out`` while a session is open, ``in`` otherwise, which is
   "first of the day in, then alternating" and also right across midnight.
3. **Pairing**: an ``in`` opens a session, the next ``out`` within ``max_shift_h`` closes it.
   An ``in`` while a session is open is an anti-passback violation: the open session is
   closed without an exit. An ``out`` with no open session is an exit without entry.
4. **Days**: a session belongs to the local day (Beijing time by default) of its entry, so a
   night shift 20:00 → 06:00 is one session of the first day. Time on site is the sum of
   the day's closed sessions.

Everything is recomputed from the kept passes, so late and backfilled passes simply change
the days they touch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from streams.local_time import BEIJING
from streams.records import Direction, PassEvent, PassMethod


class Flag(StrEnum):
    PASSBACK = "passback"  # entered twice without leaving
    EXIT_WITHOUT_ENTRY = "exit_without_entry"
    MISSING_EXIT = "missing_exit"  # entered and never left within the shift limit
    INFERRED_DIRECTION = "inferred_direction"
    EXITED_WHILE_ON_SITE = "exited_while_on_site"  # left the project's roster while inside


@dataclass(frozen=True)
class AttendanceRules:
    repeat_window_s: float = 60.0
    max_shift_h: float = 16.0
    timezone: ZoneInfo = BEIJING

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()


@dataclass(frozen=True, slots=True)
class Swipe:
    """A known worker's pass: the fields attendance needs (slotted, its gate's id shared:
    a province's window of passes is held in memory)."""

    event_id: str
    occurred_at: datetime
    direction: Direction
    method: PassMethod = PassMethod.FACE
    device_id: str = ""

    @classmethod
    def of(cls, event: PassEvent) -> Swipe:
        return cls(
            event.event_id,
            event.occurred_at,
            event.direction,
            event.method,
            sys.intern(event.device_id),
        )


@dataclass(frozen=True)
class ResolvedSwipe:
    swipe: Swipe
    direction: Direction  # never UNKNOWN
    inferred: bool


@dataclass
class Session:
    entered: ResolvedSwipe | None
    left: ResolvedSwipe | None = None
    flags: set[Flag] = field(default_factory=set)
    left_at_exit: datetime | None = None  # closed by a roster exit, not a swipe

    @property
    def start(self) -> datetime:
        first = self.entered or self.left
        assert first is not None
        return first.swipe.occurred_at

    @property
    def end(self) -> datetime | None:
        return self.left.swipe.occurred_at if self.left else self.left_at_exit

    @property
    def seconds(self) -> int:
        if self.entered is None or self.end is None:
            return 0
        return int((self.end - self.entered.swipe.occurred_at).total_seconds())


@dataclass(frozen=True)
class AttendanceDay:
    day: date
    first_in: datetime | None
    last_out: datetime | None
    seconds_on_site: int
    sessions: int
    swipes: int
    repeats_dropped: int
    flags: frozenset[Flag]
    on_site: bool  # the day's last session is still open now


@dataclass(frozen=True)
class Timeline:
    sessions: list[Session]
    repeats_dropped: dict[date, int]

    def open_session(self) -> Session | None:
        """The session the worker is in now, if any (presence)."""
        last = self.sessions[-1] if self.sessions else None
        if last and last.entered and last.end is None and Flag.MISSING_EXIT not in last.flags:
            return last
        return None


def build_timeline(
    swipes: Iterable[Swipe],
    rules: AttendanceRules,
    *,
    now: datetime,
    exited_at: datetime | None = None,
) -> Timeline:
    """Sessions from the swipes (any order; duplicates by event_id are ignored)."""
    unique = {s.event_id: s for s in swipes}
    ordered = sorted(unique.values(), key=lambda s: (s.occurred_at, s.event_id))
    shift = timedelta(hours=rules.max_shift_h)
    sessions: list[Session] = []
    repeats: dict[date, int] = {}
    open_session: Session | None = None
    last_kept: Swipe | None = None

    def expire(at: datetime) -> None:
        nonlocal open_session
        if open_session is not None and at - open_session.start > shift:
            open_session.flags.add(Flag.MISSING_EXIT)
            open_session = None

    def close_for_exit(before: datetime | None) -> None:
        nonlocal open_session, exited_at
        if exited_at is not None and (before is None or exited_at <= before):
            if open_session is not None and exited_at >= open_session.start:
                open_session.left_at_exit = exited_at
                open_session.flags.add(Flag.EXITED_WHILE_ON_SITE)
                open_session = None
            exited_at = None

    for swipe in ordered:
        close_for_exit(swipe.occurred_at)
        expire(swipe.occurred_at)
        if last_kept is not None and _repeats(last_kept, swipe, rules):
            day = rules.local_day(swipe.occurred_at)
            repeats[day] = repeats.get(day, 0) + 1
            continue
        last_kept = swipe
        inferred = swipe.direction is Direction.UNKNOWN
        direction = swipe.direction
        if inferred:
            direction = Direction.OUT if open_session is not None else Direction.IN
        resolved = ResolvedSwipe(swipe, direction, inferred)
        if direction is Direction.IN:
            if open_session is not None:
                open_session.flags.add(Flag.PASSBACK)
            open_session = Session(resolved)
            sessions.append(open_session)
        elif open_session is not None:
            open_session.left = resolved
            open_session = None
        else:
            sessions.append(Session(None, resolved, {Flag.EXIT_WITHOUT_ENTRY}))
        if inferred:
            sessions[-1].flags.add(Flag.INFERRED_DIRECTION)
    close_for_exit(None)
    expire(now)
    return Timeline(sessions, repeats)


def _repeats(previous: Swipe, current: Swipe, rules: AttendanceRules) -> bool:
    close = (current.occurred_at - previous.occurred_at).total_seconds() <= rules.repeat_window_s
    unknown = Direction.UNKNOWN in (previous.direction, current.direction)
    return close and (unknown or previous.direction is current.direction)


def attendance_days(timeline: Timeline, rules: AttendanceRules) -> dict[date, AttendanceDay]:
    """Each local day with a session (by its start), or with a repeat dropped."""
    by_day: dict[date, list[Session]] = {}
    for session in timeline.sessions:
        by_day.setdefault(rules.local_day(session.start), []).append(session)
    current = timeline.open_session()
    days = {}
    for day in sorted(set(by_day) | set(timeline.repeats_dropped)):
        sessions = by_day.get(day, [])
        entries = [s.entered.swipe.occurred_at for s in sessions if s.entered]
        exits = [end for s in sessions if (end := s.end) is not None]
        flags = frozenset(flag for s in sessions for flag in s.flags)
        swipes = sum((s.entered is not None) + (s.left is not None) for s in sessions)
        days[day] = AttendanceDay(
            day=day,
            first_in=min(entries, default=None),
            last_out=max(exits, default=None),
            seconds_on_site=sum(s.seconds for s in sessions),
            sessions=len(sessions),
            swipes=swipes,
            repeats_dropped=timeline.repeats_dropped.get(day, 0),
            flags=flags,
            on_site=current is not None and current in sessions,
        )
    return days
