"""What an evaluation changes about the stored alerts (pure).

- a finding with no alert yet opens one;
- a finding for an open or acknowledged alert refreshes its evidence and level; a higher
  level (arrears growing older: yellow, orange, red) is raised, which is notified;
- a finding for a cleared alert reopens it (the condition came back in the same window);
  one a person resolved stays resolved for that window;
- an open or acknowledged alert whose rule was evaluated for its project and found nothing
  is cleared (消警);
- an alert still open (not acknowledged) past the escalation deadline is escalated once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alerts.rules import Finding, Severity

Key = tuple[str, str, str]  # rule, subject, window


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLEARED = "cleared"


ACTIVE = frozenset({Status.OPEN, Status.ACKNOWLEDGED})


@dataclass(frozen=True)
class StoredAlert:
    alert_id: int
    key: Key
    project_id: str
    status: Status
    evidence: dict[str, Any]
    opened_at: datetime
    escalated: bool
    severity: Severity = Severity.WARNING


@dataclass
class Plan:
    open: list[Finding] = field(default_factory=list)
    refresh: list[tuple[int, Finding]] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)  # refreshed to a higher level
    reopen: list[tuple[int, Finding]] = field(default_factory=list)
    clear: list[int] = field(default_factory=list)
    escalate: list[int] = field(default_factory=list)


def plan(
    findings: Iterable[Finding],
    stored: Iterable[StoredAlert],
    *,
    evaluated: set[tuple[str, str]],  # (rule, project) pairs this evaluation judged
    now: datetime,
    escalate_after: timedelta,
) -> Plan:
    by_key = {alert.key: alert for alert in stored}
    result = Plan()
    seen: set[Key] = set()
    for finding in findings:
        if finding.key in seen:
            continue
        seen.add(finding.key)
        alert = by_key.get(finding.key)
        if alert is None:
            result.open.append(finding)
        elif alert.status in ACTIVE:
            if alert.evidence != finding.evidence or alert.severity != finding.severity:
                result.refresh.append((alert.alert_id, finding))
            if finding.severity.rank > alert.severity.rank:
                result.raised.append(alert.alert_id)
        elif alert.status is Status.CLEARED:
            result.reopen.append((alert.alert_id, finding))
    for key, alert in by_key.items():
        if alert.status not in ACTIVE:
            continue
        if key not in seen and (key[0], alert.project_id) in evaluated:
            result.clear.append(alert.alert_id)
        elif (
            alert.status is Status.OPEN
            and not alert.escalated
            and now - alert.opened_at > escalate_after
        ):
            result.escalate.append(alert.alert_id)
    return result
