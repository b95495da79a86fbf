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

Everything follows from the kept passes, so late and backfilled passes simply change the days
they touch: :class:`TimelineBuilder` extends a timeline with later passes and is built anew
from the kept passes when one arrives out of order.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple
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


class Swipe(NamedTuple):
    """A known worker's pass: the fields attendance needs (a tuple, its gate's id shared:
    a province's window of passes is held in memory, and a warm-up makes a million)."""

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


class ResolvedSwipe(NamedTuple):
    swipe: Swipe
    direction: Direction  # never UNKNOWN
    inferred: bool


@dataclass(slots=True)
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
    builder = TimelineBuilder(rules, exited_at=exited_at)
    builder.extend(unique.values())
    return builder.timeline(now)


_TIME_ORDER = attrgetter("occurred_at", "event_id")  # the order swipes are scanned in


class TimelineBuilder:
    """The scan behind :func:`build_timeline`, kept open: swipes later than every swipe it
    has seen extend it in constant time, so a worker's pass costs the same whatever their
    history (an earlier swipe or a new roster exit needs a new builder)."""

    def __init__(self, rules: AttendanceRules, *, exited_at: datetime | None = None) -> None:
        self.rules = rules
        self.exited_at = exited_at  # as given: a builder answers for this exit only
        self._exit_pending = exited_at
        self._shift = timedelta(hours=rules.max_shift_h)
        self._repeat_window = timedelta(seconds=rules.repeat_window_s)
        self._sessions: list[Session] = []
        self._repeats: dict[date, int] = {}
        self._open: Session | None = None
        self._open_start = datetime.min  # of the open session
        self._last_kept: Swipe | None = None
        self._last: tuple[datetime, str] | None = None

    def follows(self, swipe: Swipe) -> bool:
        """Whether ``swipe`` comes after every swipe fed so far."""
        return self._last is None or _TIME_ORDER(swipe) > self._last

    def extend(self, swipes: Iterable[Swipe]) -> None:
        """Feed swipes (in any order among themselves) that all follow the ones fed."""
        ordered = sorted(swipes, key=_TIME_ORDER)
        if ordered and not self.follows(ordered[0]):
            raise ValueError("a swipe earlier than the builder's last one")
        for swipe in ordered:
            self._feed(swipe)
        if ordered:
            self._last = _TIME_ORDER(ordered[-1])

    def _feed(self, swipe: Swipe) -> None:
        at = swipe.occurred_at
        if self._exit_pending is not None:
            self._close_for_exit(at)
        current = self._open
        if current is not None and at - self._open_start > self._shift:  # never left
            current.flags.add(Flag.MISSING_EXIT)
            current = self._open = None
        last_kept = self._last_kept
        direction = swipe.direction
        repeated = last_kept is not None and (
            at - last_kept.occurred_at <= self._repeat_window
            and (
                direction is Direction.UNKNOWN
                or last_kept.direction in (direction, Direction.UNKNOWN)
            )
        )
        if repeated:  # rule 1
            day = self.rules.local_day(at)
            self._repeats[day] = self._repeats.get(day, 0) + 1
            return
        self._last_kept = swipe
        inferred = direction is Direction.UNKNOWN
        if inferred:
            direction = Direction.OUT if current is not None else Direction.IN
        resolved = ResolvedSwipe(swipe, direction, inferred)
        if direction is Direction.IN:
            if current is not None:
                current.flags.add(Flag.PASSBACK)
            self._open = Session(resolved)
            self._open_start = at
            self._sessions.append(self._open)
        elif current is not None:
            current.left = resolved
            self._open = None
        else:
            self._sessions.append(Session(None, resolved, {Flag.EXIT_WITHOUT_ENTRY}))
        if inferred:
            self._sessions[-1].flags.add(Flag.INFERRED_DIRECTION)

    def _close_for_exit(self, before: datetime | None) -> None:
        exited_at = self._exit_pending
        if exited_at is not None and (before is None or exited_at <= before):
            if self._open is not None and exited_at >= self._open.start:
                self._open.left_at_exit = exited_at
                self._open.flags.add(Flag.EXITED_WHILE_ON_SITE)
                self._open = None
            self._exit_pending = None

    def open_session(self, now: datetime) -> Session | None:
        """The session the worker is in at ``now``, if any (what ``timeline(now)`` would say,
        without copying the sessions)."""
        current = self._open
        if current is None or now - self._open_start > self._shift:
            return None
        exited_at = self._exit_pending
        if exited_at is not None and exited_at >= self._open_start:
            return None
        return current

    def timeline(self, now: datetime) -> Timeline:
        """The sessions as of ``now`` (a pending exit applied, an overlong session closed),
        leaving the builder as it was, ready for later swipes."""
        sessions = list(self._sessions)
        current = self._open  # always the last session when there is one
        if current is not None:
            ended = Session(current.entered, current.left, set(current.flags))
            exited_at = self._exit_pending
            if exited_at is not None and exited_at >= ended.start:
                ended.left_at_exit = exited_at
                ended.flags.add(Flag.EXITED_WHILE_ON_SITE)
            elif now - ended.start > self._shift:
                ended.flags.add(Flag.MISSING_EXIT)
            sessions[-1] = ended
        return Timeline(sessions, dict(self._repeats))


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
