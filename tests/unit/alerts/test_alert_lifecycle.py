"""The alert lifecycle plan: open, refresh, clear (消警), reopen, resolved stays, escalate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.lifecycle import Status, StoredAlert, plan
from alerts.rules import Finding, Rule, Severity

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def finding(subject: str, rule: Rule = Rule.DEVICE_OFFLINE, **evidence: object) -> Finding:
    return Finding(rule, subject, "", "P1", Severity.WARNING, "设备离线", dict(evidence))


def stored(
    alert_id: int, subject: str, status: Status, *, age: timedelta = DAY, **evidence: object
) -> StoredAlert:
    return StoredAlert(
        alert_id,
        (Rule.DEVICE_OFFLINE.value, subject, ""),
        "P1",
        status,
        dict(evidence),
        NOW - age,
        escalated=False,
    )


def test_new_refreshed_cleared_reopened_and_resolved_alerts() -> None:
    evaluated = {(Rule.DEVICE_OFFLINE.value, "P1")}
    result = plan(
        [
            finding("device:G1", minutes=40),  # new
            finding("device:G2", minutes=90),  # open, evidence changed
            finding("device:G3", minutes=10),  # open, unchanged
            finding("device:G4"),  # cleared earlier, back again
            finding("device:G5"),  # resolved by a person: stays resolved
            finding("device:G1", minutes=40),  # a duplicate finding opens one alert
        ],
        [
            stored(2, "device:G2", Status.OPEN, minutes=60),
            stored(3, "device:G3", Status.ACKNOWLEDGED, minutes=10),
            stored(4, "device:G4", Status.CLEARED),
            stored(5, "device:G5", Status.RESOLVED),
            stored(6, "device:G6", Status.OPEN, age=timedelta(hours=1)),  # no longer holds
        ],
        evaluated=evaluated,
        now=NOW,
        escalate_after=DAY,
    )
    assert [f.subject for f in result.open] == ["device:G1"]
    assert [alert_id for alert_id, _ in result.refresh] == [2]
    assert [alert_id for alert_id, _ in result.reopen] == [4]
    assert result.clear == [6] and result.escalate == []


def test_only_evaluated_rules_clear_and_old_unacknowledged_alerts_escalate() -> None:
    alerts = [
        stored(1, "device:G1", Status.OPEN, age=2 * DAY),
        stored(2, "device:G2", Status.ACKNOWLEDGED, age=2 * DAY),
    ]
    untouched = plan([], alerts, evaluated=set(), now=NOW, escalate_after=DAY)
    assert untouched.clear == [] and untouched.escalate == [1]  # acknowledged: not escalated
    findings = [finding("device:G1"), finding("device:G2")]
    again = plan(
        findings, alerts, evaluated={(Rule.DEVICE_OFFLINE.value, "P1")}, now=NOW, escalate_after=DAY
    )
    assert again.clear == [] and again.escalate == [1]


def test_a_higher_level_is_raised_and_a_lower_one_only_refreshed() -> None:
    """Arrears growing older: yellow to orange is a transition people hear of."""
    orange = replace(finding("device:G1"), severity=Severity.MAJOR)
    yellow_stored = stored(1, "device:G1", Status.OPEN)
    raised = plan([orange], [yellow_stored], evaluated=set(), now=NOW, escalate_after=DAY)
    assert [alert_id for alert_id, _ in raised.refresh] == [1] and raised.raised == [1]
    red_stored = replace(yellow_stored, severity=Severity.CRITICAL)
    lowered = plan([orange], [red_stored], evaluated=set(), now=NOW, escalate_after=DAY)
    assert [alert_id for alert_id, _ in lowered.refresh] == [1] and lowered.raised == []
    same = plan(
        [finding("device:G1")], [yellow_stored], evaluated=set(), now=NOW, escalate_after=DAY
    )
    assert same.refresh == [] and same.raised == []
