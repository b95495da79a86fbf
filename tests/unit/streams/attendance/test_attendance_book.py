"""The attendance book: only changed days are emitted, presence, exits and eviction."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from streams.attendance.book import AttendanceBook
from streams.attendance.roster_facts import RosterFacts
from streams.attendance.timeline import (
    AttendanceRules,
    Flag,
    Swipe,
    attendance_days,
    build_timeline,
)
from streams.local_time import BEIJING
from streams.records import Direction, RegistryChange

DAY = date(2026, 11, 20)
KEY = ("P1", "7")


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def test_a_replay_emits_nothing_and_a_late_pass_emits_its_day_again() -> None:
    book = AttendanceBook(AttendanceRules(), keep_days=3)
    entry = Swipe("G1:1", at(7, 30), Direction.IN)
    assert book.add(KEY, [entry]) is False
    [first] = book.changed_days(KEY, now=at(9))
    assert first.on_site and book.on_site("P1") == {"7"}
    assert book.overdue_keys(at(23)) == [] and book.overdue_keys(at(23, 31)) == [KEY]
    assert book.add(KEY, [entry]) is True  # a replay: the tracker may write its days again
    assert book.changed_days(KEY, now=at(9)) == []
    book.forget_emitted(KEY)
    assert [day.day for day in book.changed_days(KEY, now=at(9))] == [DAY]
    book.add(KEY, [Swipe("G1:2", at(17), Direction.OUT)])
    [closed] = book.changed_days(KEY, now=at(18))
    assert closed.seconds_on_site == 9.5 * 3600 and book.on_site("P1") == set()


def test_a_roster_exit_closes_the_open_session_and_eviction_spares_those_inside() -> None:
    book = AttendanceBook(AttendanceRules(), keep_days=1)
    book.add(KEY, [Swipe("G1:1", at(7, 30), Direction.IN)])
    book.add(("P1", "8"), [Swipe("G1:3", at(7, 40), Direction.IN)])
    book.changed_days(KEY, now=at(9))
    book.changed_days(("P1", "8"), now=at(9))
    book.exit(KEY, at(10))
    [day] = book.changed_days(KEY, now=at(11))
    assert Flag.EXITED_WHILE_ON_SITE in day.flags and book.on_site("P1") == {"8"}
    three_days_later = at(9, day=DAY + timedelta(days=3))
    book.evict(three_days_later)
    assert book.inside_keys() == [("P1", "8")]
    book.add(KEY, [])
    assert book.changed_days(KEY, now=three_days_later) == []  # its passes were forgotten


def test_roster_facts_give_trade_and_team_and_report_exits_once() -> None:
    facts = RosterFacts()
    when = at(10)

    def change(entity: str, entity_id: str, **state: object) -> RegistryChange:
        return RegistryChange(
            entity=entity, entity_id=entity_id, state=state, seq=1, changed_at=when
        )

    facts.apply(change("worker", "7", trade="木工"))
    facts.apply(
        change("membership", "7@P1", worker_id=7, project_id="P1", team_id=3, status="active")
    )
    assert (facts.trade("7"), facts.team("P1", "7"), facts.team("P2", "7")) == ("木工", "3", "")
    assert facts.take_changed() == {"7"} and facts.take_changed() == set()
    facts.apply(
        change("membership", "7@P1", worker_id=7, project_id="P1", team_id=3, status="exited")
    )
    assert facts.take_exits() == [("P1", "7", when)] and facts.take_exits() == []


def test_only_the_last_record_of_a_day_is_written_per_flush() -> None:
    from analytics.attendance_sink import AttendanceRecord, latest_per_day

    book = AttendanceBook(AttendanceRules(), keep_days=3)
    book.add(KEY, [Swipe("G1:1", at(7, 30), Direction.IN)])
    [entered] = book.changed_days(KEY, now=at(8))
    book.add(KEY, [Swipe("G1:2", at(12), Direction.OUT)])
    [left] = book.changed_days(KEY, now=at(13))
    records = [
        AttendanceRecord("P1", "7", "", "", entered, 1),
        AttendanceRecord("P1", "8", "", "", entered, 1),
        AttendanceRecord("P1", "7", "", "", left, 2),
    ]
    latest = latest_per_day(records)
    assert [(r.worker_id, r.version) for r in latest] == [("7", 2), ("8", 1)]


def test_presence_is_kept_per_project_and_a_dropped_project_is_forgotten() -> None:
    book = AttendanceBook(AttendanceRules(), keep_days=3)
    for project, worker, minute in (("P1", "7", 0), ("P1", "8", 5), ("P2", "9", 10)):
        book.add((project, worker), [Swipe(f"{project}:{worker}", at(7, minute), Direction.IN)])
        book.changed_days((project, worker), now=at(9))
    assert book.open_since("P1") == {"7": at(7), "8": at(7, 5)}
    assert book.open_since("P2") == {"9": at(7, 10)} and book.open_since("P3") == {}
    book.drop_projects({"P1"})  # its partition went to another worker
    assert book.projects() == {"P2"} and book.on_site("P1") == set()
    assert book.open_since("P1") == {} and book.overdue_keys(at(23, 59)) == [("P2", "9")]


def test_extending_a_timeline_pass_by_pass_gives_the_days_of_a_full_recount() -> None:
    """The book extends open timelines with later passes and rebuilds on a late one or an
    exit, and books stored passes without working out their days until they change:
    whatever the order, its days and presence are those of a recount from every pass."""
    rules = AttendanceRules(repeat_window_s=60, max_shift_h=16)
    for seed in range(40):
        chance = random.Random(seed)
        book = AttendanceBook(rules, keep_days=3)
        start = at(6)
        swipes = [
            Swipe(
                f"G1:{serial}",
                start + timedelta(minutes=chance.choice([0, 1, 30, 200, 600]) * serial / 3),
                chance.choice([Direction.IN, Direction.OUT, Direction.UNKNOWN]),
            )
            for serial in range(30)
        ]
        if seed % 2:  # some arrive late
            chance.shuffle(swipes)
        exit_at = start + timedelta(hours=chance.randint(1, 40)) if seed % 3 == 0 else None
        emitted: dict[date, object] = {}
        now = start
        loaded = 9 if seed % 4 == 1 else 0  # as a warm-up finds them: stored, not emitted
        if loaded:
            now = max(s.occurred_at for s in swipes[:loaded])
            book.load(KEY, swipes[:loaded], now)
            stored = build_timeline(swipes[:loaded], rules, now=now)
            emitted.update(attendance_days(stored, rules))
            assert (KEY[1] in book.on_site("P1")) == (stored.open_session() is not None)
        for batch_start in range(loaded, len(swipes), 3):
            batch = swipes[batch_start : batch_start + 3]
            book.add(KEY, batch)
            now = max(now, *(s.occurred_at for s in batch))
            if exit_at is not None and now >= exit_at:
                book.exit(KEY, exit_at)
            for day in book.changed_days(KEY, now):
                emitted[day.day] = day
        exited = exit_at if exit_at is not None and now >= exit_at else None
        timeline = build_timeline(swipes, rules, now=now, exited_at=exited)
        assert emitted == attendance_days(timeline, rules), f"seed {seed}"
        assert (KEY[1] in book.on_site("P1")) == (timeline.open_session() is not None)


def test_loaded_passes_are_not_emitted_again_and_give_presence() -> None:
    """A warm-up's passes are stored already: their days are not emitted again, only the
    days a later pass changes; a worker whose last entry is open is on site at once, and
    one whose last pass is older than a shift is not."""
    book = AttendanceBook(AttendanceRules(), keep_days=3)
    day_before = DAY - timedelta(days=1)
    book.load(KEY, [Swipe("G1:1", at(7, 30, day_before), Direction.IN)], now=at(9))
    book.load(("P1", "8"), [Swipe("G1:2", at(7, 40), Direction.IN)], now=at(9))
    assert book.on_site("P1") == {"8"}
    assert book.changed_days(("P1", "8"), now=at(9, 30)) == []  # as stored
    book.add(KEY, [Swipe("G1:3", at(8), Direction.IN)])
    [changed] = book.changed_days(KEY, now=at(9))  # not the day before: it is stored
    assert changed.day == DAY and changed.on_site and book.on_site("P1") == {"7", "8"}
    [closed] = book.changed_days(("P1", "8"), now=at(23, 41))  # past the shift: closed
    assert Flag.MISSING_EXIT in closed.flags and book.on_site("P1") == {"7"}
