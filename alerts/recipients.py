"""Who hears about an alert, and when (pure rules plus one PostgreSQL query).

The project's labour officers and the contractors taking part hear of every transition;
regulators covering the project's region hear of critical alerts and of escalations. A late
payroll is the managers' to put right first: regulators hear of it when it is escalated.
Quiet hours (Beijing time) defer email and SMS to their end, except for critical alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from psycopg import Connection

from streams.local_time import BEIJING
from streams.regions import region_prefix

#: Critical rules that go to the regulator only once escalated (unacknowledged too long).
MANAGERS_FIRST = frozenset({"payroll_late"})


def regulators_hear(rule: str, severity: str, transition: str) -> bool:
    if transition == "escalated":
        return True
    return severity == "critical" and rule not in MANAGERS_FIRST


@dataclass(frozen=True)
class Recipient:
    user_id: int
    login: str
    role: str
    channels: tuple[str, ...]
    email: str | None
    phone: str | None
    quiet_start: time | None
    quiet_end: time | None


def quiet_until(recipient: Recipient, now: datetime) -> datetime | None:
    """The end of the recipient's quiet period if ``now`` falls in it, else None."""
    start, end = recipient.quiet_start, recipient.quiet_end
    if start is None or end is None:
        return None
    local = now.astimezone(BEIJING)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, BEIJING)
    return ends if ends > local else ends + timedelta(days=1)


def recipients(
    conn: Connection[Any], project_id: str, *, rule: str, severity: str, transition: str
) -> list[Recipient]:
    project = conn.execute(
        "SELECT region_code FROM projects WHERE project_id = %s", (project_id,)
    ).fetchone()
    if project is None:
        return []
    rows = conn.execute(
        "SELECT u.user_id, u.login, u.role, u.scope_kind, u.scope_id, p.channels, p.email,"
        " p.phone, p.quiet_start, p.quiet_end FROM users u"
        " JOIN notification_preferences p ON p.user_id = u.user_id"
        " WHERE u.disabled_at IS NULL AND cardinality(p.channels) > 0"
        " AND ((u.scope_kind = 'project' AND u.scope_id = %s)"
        "  OR (u.scope_kind = 'enterprise' AND u.scope_id IN"
        "      (SELECT enterprise_id::text FROM project_enterprises WHERE project_id = %s))"
        "  OR u.scope_kind = 'region')"
        " ORDER BY u.user_id",
        (project_id, project_id),
    ).fetchall()
    region = str(project[0])
    chosen = []
    for user_id, login, role, scope_kind, scope_id, channels, email, phone, q_start, q_end in rows:
        if scope_kind == "region":
            covers = region.startswith(region_prefix(scope_id))
            if not covers or not regulators_hear(rule, severity, transition):
                continue
        chosen.append(
            Recipient(user_id, login, role, tuple(channels), email, phone, q_start, q_end)
        )
    return chosen
