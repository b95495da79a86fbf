"""The alert rules on recorded facts: each fires, each clears, and offline gates suppress."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from alerts.profiles import DEFAULT, profile_for, validate_overrides
from alerts.rules import (
    KeyHolder,
    ProjectFacts,
    Rule,
    attendance_hold,
    cross_project,
    evaluate_project,
)
from streams.local_time import BEIJING

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=BEIJING)
HEALTHY = ProjectFacts(
    project_id="P1",
    region_code="450702",
    roster=100,
    updated_workers=95,
    last_attendance_day=NOW.date(),
    briefing_date=date(2026, 9, 1),
    stopped=False,
    key_holders=[KeyHolder("7", "project_manager", 15)],
    working_days_this_month=18,
    headcount=80,
    site_limit=120,
    devices_last_seen={"G1": NOW - timedelta(minutes=2), "G2": NOW - timedelta(minutes=5)},
    unknown_faces_by_gate={"G1": 1},
    first_attendance_day=date(2026, 9, 15),
)


def rules_of(facts: ProjectFacts, now: datetime = NOW) -> dict[Rule, list[str]]:
    found: dict[Rule, list[str]] = {}
    for finding in evaluate_project(facts, profile_for(facts.region_code), now):
        found.setdefault(finding.rule, []).append(finding.subject)
    return found


def test_a_healthy_project_raises_nothing_and_the_same_facts_give_the_same_keys() -> None:
    assert rules_of(HEALTHY) == {}
    sick = replace(HEALTHY, updated_workers=50, headcount=130)
    first = evaluate_project(sick, DEFAULT, NOW)
    assert [f.key for f in first] == [f.key for f in evaluate_project(sick, DEFAULT, NOW)]


def test_each_rule_fires_on_its_condition() -> None:
    cases = {
        Rule.UPDATE_RATE_LOW: replace(HEALTHY, updated_workers=80),
        Rule.NO_ATTENDANCE: replace(HEALTHY, last_attendance_day=NOW.date() - timedelta(days=4)),
        Rule.KEY_PRESENCE_LOW: replace(HEALTHY, key_holders=[KeyHolder("7", "safety_officer", 9)]),
        Rule.MISSED_EXIT: replace(HEALTHY, stale_workers={"12": date(2026, 11, 1)}),
        Rule.OVER_LIMIT: replace(HEALTHY, headcount=121),
        Rule.UNKNOWN_FACES: replace(HEALTHY, unknown_faces_by_gate={"G2": 6}),
        Rule.DEVICE_OFFLINE: replace(
            HEALTHY, devices_last_seen={**HEALTHY.devices_last_seen, "G2": NOW - timedelta(hours=1)}
        ),
    }
    for rule, facts in cases.items():
        assert set(rules_of(facts)) == {rule}, rule
    evening = NOW + timedelta(hours=8)  # 23:00, past the 22:00 end of shift
    still_inside = replace(
        HEALTHY,
        inside_since={"12": NOW - timedelta(hours=8)},
        devices_last_seen={"G1": evening - timedelta(minutes=1)},
    )
    late = rules_of(still_inside, evening)
    assert late == {Rule.NEVER_LEFT: ["worker:12@P1"]}


def test_missed_exit_waits_until_the_records_go_back_far_enough() -> None:
    stale = replace(HEALTHY, stale_workers={"12": None})
    assert rules_of(stale) == {Rule.MISSED_EXIT: ["worker:12@P1"]}
    new_system = replace(stale, first_attendance_day=NOW.date() - timedelta(days=2))
    assert rules_of(new_system) == {}  # two days of records cannot show seven days away
    assert rules_of(replace(stale, first_attendance_day=None)) == {}


def test_no_attendance_counts_from_ten_days_after_the_briefing_and_pauses_for_a_stoppage() -> None:
    fresh = replace(HEALTHY, last_attendance_day=None, briefing_date=NOW.date() - timedelta(days=9))
    assert rules_of(fresh) == {}  # still within the ten days after the briefing
    overdue = replace(fresh, briefing_date=NOW.date() - timedelta(days=13))
    [finding] = evaluate_project(overdue, DEFAULT, NOW)
    assert finding.rule is Rule.NO_ATTENDANCE and finding.evidence["days"] == 4
    assert rules_of(replace(overdue, stopped=True)) == {}


def test_offline_gates_suppress_the_attendance_rules_and_say_why() -> None:
    down = replace(
        HEALTHY,
        updated_workers=10,
        last_attendance_day=NOW.date() - timedelta(days=5),
        devices_last_seen={"G1": NOW - timedelta(hours=6), "G2": None},
    )
    found = evaluate_project(down, DEFAULT, NOW)
    assert {f.rule for f in found} == {Rule.DEVICE_OFFLINE}
    assert "考勤数据可能缺失" in found[0].message_zh and found[0].evidence["minutes"] == 360


def test_the_same_worker_at_two_projects_within_an_hour() -> None:
    visits = [
        ("12", "P1", NOW),
        ("12", "P2", NOW + timedelta(minutes=40)),
        ("13", "P1", NOW),
        ("13", "P2", NOW + timedelta(minutes=90)),
        ("14", "P1", NOW),
        ("14", "P1", NOW + timedelta(minutes=5)),
    ]
    [finding] = cross_project(visits, DEFAULT)
    assert finding.subject == "worker:12" and finding.evidence["projects"] == ["P1", "P2"]


def test_regional_profiles_overlay_the_defaults_and_overrides_are_checked() -> None:
    assert profile_for("450702").version == "2026.11-guangxi"
    assert profile_for("110105").version == DEFAULT.version
    tighter = profile_for("450702", {"4507": {"update_rate_min": 0.9}})
    assert tighter.update_rate_min == 0.9 and tighter.version == "2026.11-guangxi"
    assert validate_overrides({"update_rate_min": 0.9}) == {"update_rate_min": 0.9}
    for bad in ({"nonsense": 1}, {"update_rate_days": "7"}, {"update_rate_days": True}):
        try:
            validate_overrides(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")


def test_quiet_hours_defer_to_their_end_also_across_midnight() -> None:
    from datetime import time

    from alerts.recipients import Recipient, quiet_until

    def person(start: time | None, end: time | None) -> Recipient:
        return Recipient(1, "officer", "labour_officer", ("email",), "a@b.cn", None, start, end)

    night = person(time(22, 0), time(7, 0))
    at_23 = datetime(2026, 11, 20, 23, 0, tzinfo=BEIJING)
    assert quiet_until(night, at_23) == datetime(2026, 11, 21, 7, 0, tzinfo=BEIJING)
    assert quiet_until(night, at_23.replace(hour=6)) == at_23.replace(hour=7, minute=0)
    assert quiet_until(night, at_23.replace(hour=12)) is None
    lunch = person(time(12, 0), time(13, 30))
    assert quiet_until(lunch, at_23.replace(hour=12, minute=15)) == at_23.replace(
        hour=13, minute=30
    )
    assert quiet_until(person(None, None), at_23) is None


def test_dark_gates_hold_the_attendance_rules_only_for_a_while() -> None:
    lagging = replace(HEALTHY, updated_workers=10)
    dark: dict[str, datetime | None] = {
        "G1": NOW - timedelta(hours=5),
        "G2": NOW - timedelta(hours=6),
    }
    assert attendance_hold(replace(lagging, devices_last_seen=dark), DEFAULT, NOW) is not None
    assert Rule.UPDATE_RATE_LOW not in rules_of(replace(lagging, devices_last_seen=dark))
    hold = timedelta(hours=DEFAULT.dark_gates_hold_hours)
    long_dark: dict[str, datetime | None] = {gate: NOW - hold - timedelta(hours=1) for gate in dark}
    facts = replace(lagging, devices_last_seen=long_dark)
    assert attendance_hold(facts, DEFAULT, NOW) is None  # switching gates off is no way out
    assert Rule.UPDATE_RATE_LOW in rules_of(facts)
    assert attendance_hold(lagging, DEFAULT, NOW) is None  # one gate up: judged as usual
    assert "停工" in (attendance_hold(replace(lagging, stopped=True), DEFAULT, NOW) or "")
    never: dict[str, datetime | None] = {"G1": None}
    fresh = replace(lagging, devices_last_seen=never, devices_registered_at={"G1": NOW - hold / 2})
    assert "从未上线" in (attendance_hold(fresh, DEFAULT, NOW) or "")
    forgotten = replace(fresh, devices_registered_at={"G1": NOW - 2 * hold})
    assert attendance_hold(forgotten, DEFAULT, NOW) is None  # never connecting is no way out


@pytest.mark.parametrize(
    "values",
    [
        {"update_rate_min": 0},
        {"update_rate_days": 10**12},
        {"key_presence_min": float("nan")},
        {"unknown_faces_minutes": float("inf")},
        {"escalate_after_minutes": -1},
        {"version": ""},
    ],
)
def test_thresholds_that_would_switch_a_warning_off_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(values))):
        validate_overrides(values)


def test_regulators_hear_of_red_alerts_at_once_but_of_a_late_payroll_when_escalated() -> None:
    from alerts.recipients import regulators_hear

    assert regulators_hear("device_offline", "critical", "opened")
    assert not regulators_hear("device_offline", "warning", "opened")
    assert not regulators_hear("wage_arrears", "major", "raised")
    assert not regulators_hear("payroll_late", "critical", "opened")
    assert regulators_hear("payroll_late", "critical", "escalated")


def test_a_terminal_clock_off_by_more_than_the_limit_is_reported() -> None:
    from alerts.rules import smallest_offset

    now = NOW
    seen: dict[str, datetime | None] = {"G1": now, "G2": now, "G3": now}
    facts = ProjectFacts(
        project_id="P1", region_code="450702", roster=0, updated_workers=0,
        last_attendance_day=None, briefing_date=None, stopped=False,
        devices_last_seen=seen, devices_registered_at=dict.fromkeys(seen, now),
        devices_clock_offset_s={"G1": 1200.0, "G2": -300.0, "G3": 30.0},
    )  # fmt: skip
    found = {
        f.subject: f
        for f in evaluate_project(facts, DEFAULT, now)
        if f.rule is Rule.DEVICE_CLOCK_SKEW
    }
    assert set(found) == {"device:G1", "device:G2"}
    assert "慢 1200 秒" in found["device:G1"].message_zh and "快" in found["device:G2"].message_zh
    assert smallest_offset(b"[3600.0, -5.5, 900]") == -5.5  # a replayed backlog is not a clock
    for raw in (None, b"", b"nope", b'{"a": 1}', b'["x", true]', b"[NaN]"):
        assert smallest_offset(raw) is None
