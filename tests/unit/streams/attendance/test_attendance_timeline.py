"""The attendance core on recorded scenarios (Beijing time)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from streams.attendance.timeline import (
    AttendanceDay,
    AttendanceRules,
    Flag,
    Swipe,
    attendance_days,
    build_timeline,
)
from streams.local_time import BEIJING
from streams.records import Direction

RULES = AttendanceRules()
DAY = date(2026, 11, 20)
IN, OUT, UNKNOWN = Direction.IN, Direction.OUT, Direction.UNKNOWN


def at(clock: str, day: date = DAY) -> datetime:
    hours, minutes, seconds = (int(part) for part in f"{clock}:0".split(":")[:3])
    return datetime(day.year, day.month, day.day, hours, minutes, seconds, tzinfo=BEIJING)


def swipes(*items: tuple[str, Direction] | tuple[str, Direction, date]) -> list[Swipe]:
    made = []
    for number, item in enumerate(items):
        clock, direction, *day = item
        made.append(Swipe(f"G1:{number}", at(clock, *day), direction))
    return made


def days_of(
    items: list[Swipe], now: datetime | None = None, exited_at: datetime | None = None
) -> dict[date, AttendanceDay]:
    moment = now or at("23:00", DAY + timedelta(days=2))
    timeline = build_timeline(items, RULES, now=moment, exited_at=exited_at)
    return attendance_days(timeline, RULES)


def test_repeated_swipes_within_a_minute_are_dropped() -> None:
    day = days_of(
        swipes(("07:30:00", IN), ("07:30:20", IN), ("07:30:50", UNKNOWN), ("17:45:00", OUT))
    )[DAY]
    assert day.repeats_dropped == 2 and day.sessions == 1 and day.swipes == 2
    assert day.first_in == at("07:30:00") and day.last_out == at("17:45")
    assert day.seconds_on_site == 10 * 3600 + 15 * 60 and day.flags == frozenset()
    # Not a repeat: a different direction, or the same one after the window.
    turned_back = days_of(swipes(("07:30:00", IN), ("07:30:30", OUT), ("07:32:00", IN)))[DAY]
    assert turned_back.repeats_dropped == 0 and turned_back.sessions == 2


def test_a_night_shift_is_one_session_of_the_day_it_started() -> None:
    days = days_of(swipes(("20:00", IN), ("06:00", OUT, DAY + timedelta(days=1))))
    assert list(days) == [DAY]
    assert days[DAY].seconds_on_site == 10 * 3600 and days[DAY].flags == frozenset()
    # Unknown directions across midnight still alternate.
    unknown = days_of(swipes(("20:00", UNKNOWN), ("06:00", UNKNOWN, DAY + timedelta(days=1))))
    assert list(unknown) == [DAY] and unknown[DAY].seconds_on_site == 10 * 3600


def test_unknown_directions_are_first_in_then_alternating() -> None:
    day = days_of(
        swipes(("07:30", UNKNOWN), ("12:00", UNKNOWN), ("13:00", UNKNOWN), ("17:45", UNKNOWN))
    )[DAY]
    assert day.sessions == 2 and day.seconds_on_site == (4.5 + 4.75) * 3600
    assert day.flags == {Flag.INFERRED_DIRECTION}


def test_a_backlog_after_a_two_hour_outage_recomputes_the_day_in_any_order() -> None:
    live = swipes(("07:30", IN), ("12:00", OUT))
    before = days_of(live)[DAY]
    assert before.seconds_on_site == 4.5 * 3600 and before.last_out == at("12:00")
    # The gate was offline 13:00-15:00 and then sent what it had buffered, newest first.
    backlog = [
        Swipe("G1:b2", at("14:40"), OUT),
        Swipe("G1:b1", at("13:05"), IN),
    ]
    later = [Swipe("G1:9", at("15:30"), IN), Swipe("G1:10", at("18:00"), OUT)]
    after = days_of(live + backlog + later)
    assert after[DAY].sessions == 3 and after[DAY].last_out == at("18:00")
    assert after[DAY].seconds_on_site == (270 + 95 + 150) * 60
    shuffled = live + backlog
    random.Random(1).shuffle(shuffled)
    assert days_of(shuffled) == days_of(live + backlog)
    assert days_of(shuffled + shuffled[:1]) == days_of(live + backlog)  # a replayed pass


def test_an_exit_without_entry_and_an_entry_without_exit_are_flagged() -> None:
    exit_only = days_of(swipes(("17:45", OUT)))[DAY]
    assert exit_only.flags == {Flag.EXIT_WITHOUT_ENTRY} and exit_only.seconds_on_site == 0
    assert exit_only.first_in is None and exit_only.last_out == at("17:45")
    entered = swipes(("07:30", IN))
    inside = days_of(entered, now=at("09:00"))[DAY]
    assert inside.on_site and inside.flags == frozenset()
    forgotten = days_of(entered, now=at("09:00", DAY + timedelta(days=1)))[DAY]
    assert not forgotten.on_site and forgotten.flags == {Flag.MISSING_EXIT}


def test_entering_twice_without_leaving_is_an_anti_passback_violation() -> None:
    day = days_of(swipes(("07:30", IN), ("08:00", IN), ("17:00", OUT)))[DAY]
    assert Flag.PASSBACK in day.flags and day.sessions == 2
    assert day.seconds_on_site == 9 * 3600  # the first entry has no exit: no time counted


def test_a_worker_who_exits_the_project_while_on_site_is_closed_at_the_exit() -> None:
    timeline = build_timeline(swipes(("07:30", IN)), RULES, now=at("12:00"), exited_at=at("10:00"))
    assert timeline.open_session() is None
    day = attendance_days(timeline, RULES)[DAY]
    assert day.flags == {Flag.EXITED_WHILE_ON_SITE} and day.seconds_on_site == 2.5 * 3600
    assert not day.on_site and day.last_out == at("10:00")
