"""Every worker's recent passes per project, and the attendance days they make (pure).

The book keeps ``keep_days`` of passes per (project, worker), so a late or backfilled pass
within that window recomputes its day from everything known; older history is loaded on
demand by the adapter. :meth:`AttendanceBook.changed_days` returns only the days whose
figures changed since they were last emitted, so a replayed pass writes nothing new.

Each recently active worker keeps an open :class:`TimelineBuilder`, so a pass in time order
costs the same however many passes the worker already has; a late pass or a roster exit
rebuilds that worker's timeline, and eviction drops the builders of workers off site.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from streams.attendance.timeline import (
    AttendanceDay,
    AttendanceRules,
    Session,
    Swipe,
    TimelineBuilder,
    attendance_days,
)

Key = tuple[str, str]  # project_id, worker_id


class AttendanceBook:
    def __init__(self, rules: AttendanceRules, *, keep_days: int) -> None:
        self.rules = rules
        self.keep_days = keep_days
        self._swipes: dict[Key, dict[str, Swipe]] = defaultdict(dict)
        self._exits: dict[Key, datetime] = {}
        self._emitted: dict[Key, dict[date, AttendanceDay]] = defaultdict(dict)
        self._inside: dict[str, set[str]] = defaultdict(set)  # project → workers on site
        # When each on-site worker's session began, per project: a project's presence costs
        # its own workers on site, not the region's.
        self._open_since: dict[str, dict[str, datetime]] = defaultdict(dict)
        self._builders: dict[Key, TimelineBuilder] = {}
        # Loaded from storage, days not yet worked out: when (what storage holds is as of
        # then, and is not emitted again).
        self._loaded_at: dict[Key, datetime] = {}

    def window_start(self, now: datetime) -> datetime:
        """Midnight (local) ``keep_days`` ago: passes before it are not held."""
        first_day = self.rules.local_day(now) - timedelta(days=self.keep_days)
        return datetime.combine(first_day, time(), self.rules.timezone)

    def load(self, key: Key, swipes: Iterable[Swipe], now: datetime) -> None:
        """Stored passes (a warm-up): their days are already stored, so only presence is
        worked out now; the days are worked out at the worker's next change, as of ``now``,
        and only what differs from them is emitted then."""
        self._settle(key)
        held = self._swipes[key]
        held.update((swipe.event_id, swipe) for swipe in swipes)
        self._builders.pop(key, None)
        self._loaded_at[key] = now
        latest = max(swipe.occurred_at for swipe in held.values())
        if now - latest > timedelta(hours=self.rules.max_shift_h):
            self._note_presence(key, None)  # a session open since then has run out
            return
        builder = self._builder(key)
        if not self._note_presence(key, builder.open_session(now)):
            del self._builders[key]  # off site: rebuilt when next needed

    def _settle(self, key: Key) -> None:
        """Work out the days of a loaded key as of its loading (taken as emitted)."""
        loaded_at = self._loaded_at.pop(key, None)
        if loaded_at is not None:
            timeline = self._builder(key).timeline(loaded_at)
            self._emitted[key] = attendance_days(timeline, self.rules)

    def add(self, key: Key, swipes: Iterable[Swipe]) -> bool:
        """Hold these passes; returns whether any was held already (a replay)."""
        self._settle(key)
        held = self._swipes[key]
        new = []
        replayed = False
        for swipe in swipes:
            if swipe.event_id not in held:
                held[swipe.event_id] = swipe
                new.append(swipe)
            else:
                replayed = True
        builder = self._builders.get(key)
        if builder is not None and new:
            if all(builder.follows(swipe) for swipe in new):
                builder.extend(new)
            else:  # a late pass: the next changed_days rebuilds from everything held
                del self._builders[key]
        return replayed

    def exit(self, key: Key, at: datetime) -> None:
        """The worker left the project's roster at ``at`` (closes a session still open)."""
        self._settle(key)
        self._exits[key] = at
        builder = self._builders.get(key)
        if builder is not None and builder.exited_at != at:
            del self._builders[key]

    def _builder(self, key: Key) -> TimelineBuilder:
        builder = self._builders.get(key)
        if builder is None:
            builder = TimelineBuilder(self.rules, exited_at=self._exits.get(key))
            builder.extend(self._swipes.get(key, {}).values())
            self._builders[key] = builder
        return builder

    def changed_days(self, key: Key, now: datetime) -> list[AttendanceDay]:
        """Recompute ``key``'s days; return those that differ from what was emitted."""
        self._settle(key)
        timeline = self._builder(key).timeline(now)
        self._note_presence(key, timeline.open_session())
        emitted = self._emitted[key]
        changed = []
        for day, figures in attendance_days(timeline, self.rules).items():
            if emitted.get(day) != figures:
                emitted[day] = figures
                changed.append(figures)
        return changed

    def _note_presence(self, key: Key, current: Session | None) -> bool:
        """Record whether the worker is on site now (in ``current``); returns whether."""
        project, worker = key
        if current is not None:
            self._inside[project].add(worker)
            self._open_since[project][worker] = current.start
            return True
        self._inside[project].discard(worker)
        self._open_since[project].pop(worker, None)
        return False

    def keys_of(self, worker_ids: set[str]) -> list[Key]:
        return [key for key in self._swipes if key[1] in worker_ids]

    def forget_emitted(self, key: Key) -> None:
        """The next :meth:`changed_days` returns every day again (its grouping changed)."""
        self._loaded_at.pop(key, None)
        self._emitted.pop(key, None)

    def open_since(self, project: str) -> dict[str, datetime]:
        """When each worker on site at ``project`` entered."""
        return dict(self._open_since.get(project, {}))

    def on_site(self, project: str) -> set[str]:
        return set(self._inside.get(project, set()))

    def projects_with_presence(self) -> list[str]:
        return [project for project, workers in self._inside.items() if workers]

    def overdue_keys(self, now: datetime) -> list[Key]:
        """On-site workers whose session has run past the shift limit (to be closed)."""
        limit = timedelta(hours=self.rules.max_shift_h)
        return [
            (project, worker)
            for project, sessions in self._open_since.items()
            for worker, since in sessions.items()
            if now - since > limit
        ]

    def inside_keys(self) -> list[Key]:
        return [
            (project, worker) for project, workers in self._inside.items() for worker in workers
        ]

    def drop_projects(self, dropped: set[str]) -> None:
        """Forget everything about these projects (their partitions went to another worker)."""
        tables = (self._swipes, self._exits, self._emitted, self._builders, self._loaded_at)
        for table in tables:
            for key in [key for key in table if key[0] in dropped]:
                del table[key]
        for project in dropped:
            self._inside.pop(project, None)
            self._open_since.pop(project, None)

    def projects(self) -> set[str]:
        return {project for project, _ in self._swipes}

    def evict(self, now: datetime) -> None:
        """Forget passes (and emitted days) older than the window, except for workers on site;
        the builders of workers off site go too (rebuilt at their next pass)."""
        start = self.window_start(now)
        first_day = start.date()
        for key in list(self._swipes):
            project, worker = key
            if worker in self._inside.get(project, set()):
                continue
            self._builders.pop(key, None)
            kept = {k: s for k, s in self._swipes[key].items() if s.occurred_at >= start}
            if kept:
                self._swipes[key] = kept
            else:
                del self._swipes[key]
                self._loaded_at.pop(key, None)
            emitted = self._emitted.get(key, {})
            for day in [d for d in emitted if d < first_day]:
                del emitted[day]
