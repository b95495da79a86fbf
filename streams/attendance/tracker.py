"""The attendance adapter: feeds the pure book from passes and the roster, loads history from
ClickHouse, and keeps each project's live presence in Redis.

Presence is one JSON value per project (``<ns>presence.<project>``: headcount, by team, by
trade, the workers on site) and a ``presence`` message on the project's live channel.

State is partition-owned: a worker holds (and publishes presence for) only the projects
whose ``gate.passes`` partitions it is assigned. :meth:`AttendanceTracker.hold` is called
on every assignment: it drops the projects that went elsewhere and loads the recent
history of those that arrived, before their passes are processed.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from analytics.attendance_queries import KnownPass, known_passes, projects_with_known_passes
from analytics.attendance_sink import AttendanceRecord
from analytics.executor import Executor
from infra.retry import retrying
from streams.attendance.book import AttendanceBook, Key
from streams.attendance.roster_facts import RosterFacts
from streams.attendance.timeline import Swipe
from streams.channels import presence_key, project_channel
from streams.live_messages import PresenceMessage, to_text
from streams.records import Direction, PassEvent, PassMethod
from streams.topics import partition_of

_PROJECTS_PER_CHUNK = 50
# Enum members by value: a dict lookup, not an Enum call, per pass of a warm-up.
_DIRECTIONS = {member.value: member for member in Direction}
_METHODS = {member.value: member for member in PassMethod}


def _by_worker(history: Iterable[KnownPass]) -> dict[Key, list[Swipe]]:
    """Stored passes as swipes, per worker (one loop: a warm-up reads a million). Passes
    cluster at shift changes, so each second's time object is made once and shared."""
    grouped: dict[Key, list[Swipe]] = defaultdict(list)
    moments: dict[int, datetime] = {}
    devices: dict[str, str] = {}
    for event_id, project_id, worker_id, epoch, direction, method, device_id in history:
        moment = moments.get(epoch)
        if moment is None:
            moment = moments[epoch] = datetime.fromtimestamp(epoch, UTC)
        device = devices.get(device_id)
        if device is None:
            device = devices[device_id] = sys.intern(device_id)
        grouped[(project_id, worker_id)].append(
            Swipe(
                event_id,
                moment,
                _DIRECTIONS.get(direction, Direction.UNKNOWN),
                _METHODS.get(method, PassMethod.FACE),
                device,
            )
        )
    return grouped


class AttendanceTracker:
    def __init__(
        self,
        book: AttendanceBook,
        facts: RosterFacts,
        db: Executor,
        redis: Redis,
        *,
        namespace: str,
    ) -> None:
        self.book = book
        self.facts = facts
        self._db = db
        self._redis = redis
        self._namespace = namespace
        self._dirty: set[str] = set()  # projects whose presence changed since last published
        self._partitions: frozenset[int] = frozenset()  # held
        self._loaded: frozenset[int] = frozenset()  # held, with their history loaded
        self._partition_count = 1
        #: While history loads: (projects loaded, projects to load), for /healthz.
        self.progress: tuple[int, int] | None = None

    def owns(self, project: str) -> bool:
        return partition_of(project, self._partition_count) in self._partitions

    async def hold(self, partitions: set[int], partition_count: int, now: datetime) -> int:
        """Hold exactly these partitions' projects: forget the others, load the window's
        passes of the newly held ones (what ClickHouse holds is not emitted again) and
        publish their presence. Returns how many passes were loaded."""
        if partition_count != self._partition_count:
            self._loaded = frozenset()  # every project may sit elsewhere now
        gained = partitions - self._loaded
        self._partitions, self._partition_count = frozenset(partitions), partition_count
        self._loaded &= self._partitions
        dropped = {project for project in self.book.projects() if not self.owns(project)}
        self.book.drop_projects(dropped)
        self._dirty -= dropped
        if not gained:
            return 0
        since = self.book.window_start(now)
        projects = await asyncio.to_thread(projects_with_known_passes, self._db, since)
        arrived = [p for p in projects if partition_of(p, partition_count) in gained]
        loaded = 0
        self.progress = (0, len(arrived))
        chunks = [
            arrived[start : start + _PROJECTS_PER_CHUNK]
            for start in range(0, len(arrived), _PROJECTS_PER_CHUNK)
        ]

        def read(chunk: list[str]) -> asyncio.Task[list[KnownPass]]:
            return asyncio.create_task(
                asyncio.to_thread(known_passes, self._db, since, project_ids=chunk)
            )

        # A chunk of projects at a time, the event loop free between them: work linear in
        # the passes loaded, and the dashboards of other projects stay live meanwhile. The
        # next chunk is read from ClickHouse while this one is booked.
        reading = read(chunks[0]) if chunks else None
        for number, chunk in enumerate(chunks):
            assert reading is not None
            history = await reading
            reading = read(chunks[number + 1]) if number + 1 < len(chunks) else None
            for project, worker, at in self.facts.exits_in(set(chunk)):
                self.book.exit((project, worker), at)
            for key, swipes in _by_worker(history).items():
                self.book.load(key, swipes, now)  # what ClickHouse holds: not emitted again
            loaded += len(history)
            self.progress = (min(len(arrived), (number + 1) * _PROJECTS_PER_CHUNK), len(arrived))
            # The history is long-lived and free of reference cycles (tuples, strings,
            # times): out of the collector's sight, or every full collection walks it
            # again (half the warm-up's time; later, pauses of the stream).
            gc.freeze()
            await asyncio.sleep(0)
        await self.publish_presence(arrived, now)  # also says "nobody" where it is so
        gc.freeze()  # and what the worker made before (its app, models): also long-lived
        self._loaded = frozenset(partitions)  # (an interrupted load is done again)
        self.progress = None
        return loaded

    def _add_known(self, history: Iterable[KnownPass]) -> None:
        for key, swipes in _by_worker(history).items():
            self.book.add(key, swipes)

    async def observe(self, events: Sequence[PassEvent], now: datetime) -> list[AttendanceRecord]:
        """The attendance days these passes (and any roster exits) changed."""
        grouped: dict[Key, list[Swipe]] = defaultdict(list)
        for event in events:
            if event.worker_id is not None:
                grouped[(event.project_id, event.worker_id)].append(Swipe.of(event))
        window_start = self.book.window_start(now)
        for key, swipes in grouped.items():
            oldest = min(s.occurred_at for s in swipes)
            if oldest < window_start:
                await self._load_history(key, oldest, window_start)
            if self.book.add(key, swipes):
                # Replayed after a restart: the history had the pass, but whether its days
                # were written is not known (an attendance worker apart from the passes
                # workers may have stopped before its write). Write them again.
                self.book.forget_emitted(key)
        touched = set(grouped) | self._apply_exits()
        return await self._recompute(touched, now)

    async def refresh(self, now: datetime, *, expire: bool) -> list[AttendanceRecord]:
        """Periodic: roster exits; with ``expire`` also sessions past the shift limit, and
        eviction of passes older than the window."""
        touched = self._apply_exits()
        if expire:
            touched |= set(self.book.overdue_keys(now))
        changed = self.facts.take_changed()
        if changed:  # a trade or team learnt after the passes: write the days again
            for key in self.book.keys_of(changed):
                self.book.forget_emitted(key)
                touched.add(key)
        records = await self._recompute(touched, now) if touched else []
        if expire:
            self.book.evict(now)
        return records

    def _apply_exits(self) -> set[Key]:
        touched = set()
        for project, worker, at in self.facts.take_exits():
            if not self.owns(project):
                continue  # another worker's project
            self.book.exit((project, worker), at)
            touched.add((project, worker))
        return touched

    async def _load_history(self, key: Key, oldest: datetime, until: datetime) -> None:
        """A pass older than the window: load that worker's passes around it first."""
        project, worker = key
        since = oldest - timedelta(days=1)

        def load() -> Awaitable[list[KnownPass]]:
            return asyncio.to_thread(
                known_passes, self._db, since, until, project_id=project, worker_id=worker
            )

        # During a ClickHouse outage the pass waits for its history rather than being
        # paired against half of it.
        self._add_known(await retrying("clickhouse_history", load))

    async def _recompute(self, keys: Iterable[Key], now: datetime) -> list[AttendanceRecord]:
        version = time.time_ns()
        records = []
        for key in keys:
            project, worker = key
            self._dirty.add(project)
            for day in self.book.changed_days(key, now):
                team, trade = self.facts.team(project, worker), self.facts.trade(worker)
                records.append(AttendanceRecord(project, worker, team, trade, day, version))
        return records

    async def publish_changed_presence(self, now: datetime) -> None:
        """Publish the projects touched since the last call: called on a timer, so each
        dashboard gets at most a few presence updates a second however busy the gates."""
        projects, self._dirty = self._dirty, set()
        if projects:
            await self.publish_presence(sorted(projects), now)

    async def publish_presence(self, projects: Iterable[str], now: datetime) -> None:
        pipeline = self._redis.pipeline(transaction=False)
        count = 0
        for project in projects:
            inside = sorted(self.book.on_site(project))
            message = PresenceMessage(
                project_id=project,
                headcount=len(inside),
                by_team=Counter(self.facts.team(project, w) or "未分班组" for w in inside),
                by_trade=Counter(self.facts.trade(w) or "未登记工种" for w in inside),
                workers=inside,
                since={w: t.isoformat() for w, t in self.book.open_since(project).items()},
                at=now.astimezone(UTC).isoformat(),
            )
            text = to_text(message)
            pipeline.set(presence_key(self._namespace, project), text)
            pipeline.publish(project_channel(self._namespace, project), text)
            count += 1
        if count:
            await pipeline.execute()
