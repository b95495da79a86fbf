"""The alert rules (pure): facts about a project in, findings out.

Each finding is keyed by (rule, subject, window): evaluating the same facts twice gives the
same keys, which is what makes evaluation idempotent and lets the lifecycle deduplicate
and auto-clear (消警). When every gate of a project is offline, the attendance rules do not
fire on it: their figures are missing, not bad, and the device alert says why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any

from alerts.profiles import RuleProfile
from streams.local_time import BEIJING


class Rule(StrEnum):
    UPDATE_RATE_LOW = "attendance_update_rate_low"
    NO_ATTENDANCE = "no_attendance"
    KEY_PRESENCE_LOW = "key_position_presence_low"
    MISSED_EXIT = "missed_exit_procedure"
    NEVER_LEFT = "entered_never_exited"
    DEVICE_OFFLINE = "device_offline"
    DEVICE_CLOCK_SKEW = "device_clock_skew"
    UNKNOWN_FACES = "unknown_face_spike"
    CROSS_PROJECT = "worker_at_two_projects"
    OVER_LIMIT = "headcount_over_limit"
    # Wage-payment monitoring (工资支付监控预警): alerts/wage_rules.py
    WAGE_UNPAID_TWO_MONTHS = "wage_unpaid_two_months"
    WAGE_PER_HEAD_LOW = "wage_per_head_below_minimum"
    WAGE_PAID_SHORT = "wage_paid_headcount_short"
    WAGE_WORKER_HIGH = "wage_worker_amount_high"
    WAGE_UNRECORDED = "wage_unrecorded_workers"
    PAYROLL_LATE = "payroll_late"
    PAYMENT_NOT_REPAID = "payment_failure_not_repaid"
    NO_WAGE_ACCOUNT = "no_wage_account"
    EXITED_UNSETTLED = "exited_worker_unsettled"
    WAGE_ARREARS = "wage_arrears"
    WAGE_PAID_ELSEWHERE = "wage_paid_for_other_project_days"
    WAGE_HIGH_FOR_FEW_DAYS = "wage_high_for_few_days"


class Severity(StrEnum):
    WARNING = "warning"  # yellow (黄色)
    MAJOR = "major"  # orange (橙色)
    CRITICAL = "critical"  # red (红色)

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


ATTENDANCE_RULES = frozenset(
    {Rule.UPDATE_RATE_LOW, Rule.NO_ATTENDANCE, Rule.KEY_PRESENCE_LOW, Rule.MISSED_EXIT}
)
WAGE_RULES = frozenset(
    {
        Rule.WAGE_UNPAID_TWO_MONTHS,
        Rule.WAGE_PER_HEAD_LOW,
        Rule.WAGE_PAID_SHORT,
        Rule.WAGE_WORKER_HIGH,
        Rule.WAGE_UNRECORDED,
        Rule.PAYROLL_LATE,
        Rule.PAYMENT_NOT_REPAID,
        Rule.NO_WAGE_ACCOUNT,
        Rule.EXITED_UNSETTLED,
        Rule.WAGE_ARREARS,
        Rule.WAGE_PAID_ELSEWHERE,
        Rule.WAGE_HIGH_FOR_FEW_DAYS,
    }
)


@dataclass(frozen=True)
class Finding:
    rule: Rule
    subject: str  # what it is about: project:P001, worker:12@P001, device:G1
    window: str  # the period it holds for: a day, a month, or "" for a standing condition
    project_id: str
    severity: Severity
    message_zh: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.rule.value, self.subject, self.window)


@dataclass(frozen=True)
class KeyHolder:
    worker_id: str
    position: str
    days_present: int


@dataclass(frozen=True)
class ProjectFacts:
    """What the scheduled evaluation gathers about one project (from PostgreSQL,
    ClickHouse and Redis)."""

    project_id: str
    region_code: str
    roster: int
    updated_workers: int  # roster workers with attendance in the update-rate window
    last_attendance_day: date | None
    briefing_date: date | None
    stopped: bool  # a declared stoppage (停工)
    key_holders: list[KeyHolder] = field(default_factory=list)
    working_days_this_month: int = 0
    stale_workers: dict[str, date | None] = field(default_factory=dict)  # worker -> last day
    first_attendance_day: date | None = None  # how far back the project's records go
    inside_since: dict[str, datetime] = field(default_factory=dict)  # on site now, since
    headcount: int = 0
    site_limit: int | None = None
    devices_last_seen: dict[str, datetime | None] = field(default_factory=dict)
    devices_registered_at: dict[str, datetime] = field(default_factory=dict)
    # A vendor terminal's clock offset (receive time minus its time, seconds): the smallest
    # of its recent records, so a replayed backlog does not look like a wrong clock.
    devices_clock_offset_s: dict[str, float] = field(default_factory=dict)
    unknown_faces_by_gate: dict[str, int] = field(default_factory=dict)  # in the recent window


def smallest_offset(raw: bytes | str | None) -> float | None:
    """A terminal's clock offset: the smallest (in size) of its recent ones, as ingest
    keeps them (a JSON list of seconds); None when there is none or it is unreadable."""
    try:
        values = json.loads(raw) if raw else []
    except ValueError:
        return None
    numbers = (
        [
            float(v)
            for v in values
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        ]
        if isinstance(values, list)
        else []
    )
    return min(numbers, key=abs) if numbers else None


def attendance_hold(facts: ProjectFacts, profile: RuleProfile, now: datetime) -> str | None:
    """Why the project's attendance cannot be judged now, or None when it can.

    A declared stoppage (停工, approved by a regulator) holds the attendance rules. So do
    dark gates (every gate offline): the figures are missing, not bad; but only for
    ``dark_gates_hold_hours``, or switching the gates off would switch the warnings off."""
    if facts.stopped:
        return "项目停工（经监管部门批准），考勤预警暂停判定"
    limit = timedelta(minutes=profile.device_offline_minutes)
    seen = list(facts.devices_last_seen.values())
    if not seen or any(at is not None and now - at <= limit for at in seen):
        return None
    last = max((at for at in seen if at is not None), default=None)
    # Gates that never reported are dark since they were registered.
    dark_since = last or max(facts.devices_registered_at.values(), default=None)
    if dark_since is not None and now - dark_since > timedelta(hours=profile.dark_gates_hold_hours):
        return None
    since = "从未上线" if last is None else f"自 {last.astimezone(BEIJING):%Y-%m-%d %H:%M} 起"
    return f"项目全部考勤设备离线（{since}），考勤预警暂停判定，恢复后重新评估"


def evaluate_project(facts: ProjectFacts, profile: RuleProfile, now: datetime) -> list[Finding]:
    today = now.astimezone(BEIJING).date()
    found: list[Finding] = []

    def add(
        rule: Rule, subject: str, window: str, severity: Severity, zh: str, **evidence: Any
    ) -> None:
        evidence["profile"] = profile.version
        found.append(Finding(rule, subject, window, facts.project_id, severity, zh, evidence))

    offline = {
        device: seen
        for device, seen in facts.devices_last_seen.items()
        if seen is None or now - seen > timedelta(minutes=profile.device_offline_minutes)
    }
    for device, seen in sorted(offline.items()):
        minutes = None if seen is None else int((now - seen).total_seconds() // 60)
        add(
            Rule.DEVICE_OFFLINE,
            f"device:{device}",
            "",
            Severity.WARNING,
            f"考勤设备 {device} 已离线{'' if minutes is None else f' {minutes} 分钟'}，"
            "项目考勤数据可能缺失",
            last_seen=None if seen is None else seen.isoformat(),
            minutes=minutes,
        )

    for device, offset in sorted(facts.devices_clock_offset_s.items()):
        if abs(offset) > profile.clock_skew_max_s:
            behind = "慢" if offset > 0 else "快"
            add(
                Rule.DEVICE_CLOCK_SKEW,
                f"device:{device}",
                "",
                Severity.WARNING,
                f"考勤设备 {device} 时钟{behind} {abs(int(offset))} 秒，请校时（考勤时间可能不准）",
                offset_s=round(offset, 1),
                limit_s=profile.clock_skew_max_s,
            )

    for gate, count in sorted(facts.unknown_faces_by_gate.items()):
        if count > profile.unknown_faces_max:
            found.append(
                unknown_faces_finding(facts.project_id, gate, today.isoformat(), count, profile)
            )
    if facts.site_limit is not None and facts.headcount > facts.site_limit:
        add(
            Rule.OVER_LIMIT,
            f"project:{facts.project_id}",
            "",
            Severity.CRITICAL,
            f"在场人数 {facts.headcount} 超过限额 {facts.site_limit}",
            headcount=facts.headcount,
            limit=facts.site_limit,
        )
    shift_end = datetime.combine(today, datetime.min.time(), BEIJING) + timedelta(
        hours=profile.shift_end_hour
    )
    if now >= shift_end:
        for worker, entered in sorted(facts.inside_since.items()):
            add(
                Rule.NEVER_LEFT,
                f"worker:{worker}@{facts.project_id}",
                today.isoformat(),
                Severity.WARNING,
                f"工人 {worker} 今日进场后未出场",
                entered_at=entered.isoformat(),
            )
    if attendance_hold(facts, profile, now) is not None:
        return found  # the attendance figures are missing, not bad: no attendance rules

    rate = facts.updated_workers / facts.roster if facts.roster else None
    if rate is not None and rate < profile.update_rate_min:
        add(
            Rule.UPDATE_RATE_LOW,
            f"project:{facts.project_id}",
            today.isoformat(),
            Severity.WARNING,
            f"近 {profile.update_rate_days} 天考勤更新率 {rate:.0%}，"
            f"低于 {profile.update_rate_min:.0%}",
            rate=round(rate, 4),
            updated=facts.updated_workers,
            roster=facts.roster,
        )
    counting_from = (
        facts.briefing_date + timedelta(days=profile.briefing_grace_days)
        if facts.briefing_date
        else None
    )
    if counting_from is not None and today >= counting_from:
        before_counting = counting_from - timedelta(days=1)
        last_day = facts.last_attendance_day
        since: date = max(last_day, before_counting) if last_day else before_counting
        idle_days: int = (today - since).days
        if idle_days >= profile.no_attendance_days:
            add(
                Rule.NO_ATTENDANCE,
                f"project:{facts.project_id}",
                "",
                Severity.CRITICAL,
                f"项目已连续 {idle_days} 天无考勤记录",
                days=idle_days,
                last_attendance_day=None
                if facts.last_attendance_day is None
                else facts.last_attendance_day.isoformat(),
            )
    month = today.strftime("%Y-%m")
    for holder in facts.key_holders:
        if facts.working_days_this_month == 0:
            break
        presence = holder.days_present / facts.working_days_this_month
        if presence < profile.key_presence_min:
            add(
                Rule.KEY_PRESENCE_LOW,
                f"worker:{holder.worker_id}@{facts.project_id}",
                month,
                Severity.WARNING,
                f"关键岗位（{holder.position}）本月到岗率 {presence:.0%}，"
                f"低于 {profile.key_presence_min:.0%}",
                position=holder.position,
                days_present=holder.days_present,
                working_days=facts.working_days_this_month,
            )
    # "Not seen for N days" means something only once the records go back N days: a newly
    # connected project would otherwise flag its whole roster.
    history = facts.first_attendance_day
    judged = history is not None and (today - history).days >= profile.missed_exit_days
    for worker, last_day in sorted(facts.stale_workers.items()) if judged else []:
        add(
            Rule.MISSED_EXIT,
            f"worker:{worker}@{facts.project_id}",
            "",
            Severity.WARNING,
            f"工人 {worker} 已 {profile.missed_exit_days} 天以上未考勤，请及时办理退场",
            last_attendance_day=None if last_day is None else last_day.isoformat(),
        )
    return found


def cross_project(visits: list[tuple[str, str, datetime]], profile: RuleProfile) -> list[Finding]:
    """The same worker at two projects within ``cross_project_minutes``; visits are
    (worker_id, project_id, when)."""
    window = timedelta(minutes=profile.cross_project_minutes)
    found = []
    by_worker: dict[str, list[tuple[datetime, str]]] = {}
    for worker, project, when in visits:
        by_worker.setdefault(worker, []).append((when, project))
    for worker, seen in sorted(by_worker.items()):
        seen.sort()
        for (earlier, first), (later, second) in pairwise(seen):
            if first != second and later - earlier <= window:
                found.append(
                    cross_project_finding(worker, (first, earlier), (second, later), profile)
                )
                break
    return found


def unknown_faces_finding(
    project_id: str,
    gate: str,
    day: str,
    count: int,
    profile: RuleProfile,
    snapshots: list[str] | None = None,
) -> Finding:
    """The spike finding, as the schedule and the stream both raise it."""
    evidence: dict[str, Any] = {"count": count, "limit": profile.unknown_faces_max}
    if snapshots is not None:
        evidence["snapshots"] = snapshots
    evidence["profile"] = profile.version
    return Finding(
        Rule.UNKNOWN_FACES,
        f"device:{gate}",
        day,
        project_id,
        Severity.WARNING,
        f"闸机 {gate} 近 {profile.unknown_faces_minutes} 分钟出现 {count} 次陌生人脸",
        evidence,
    )


def cross_project_finding(
    worker: str,
    before: tuple[str, datetime],
    after: tuple[str, datetime],
    profile: RuleProfile,
) -> Finding:
    """A worker seen at project ``before`` and then at ``after`` (project, when)."""
    (first, earlier), (second, later) = before, after
    minutes = int(abs(later - earlier).total_seconds() // 60)
    return Finding(
        Rule.CROSS_PROJECT,
        f"worker:{worker}",
        later.astimezone(BEIJING).date().isoformat(),
        second,
        Severity.CRITICAL,
        f"工人 {worker} 在 {minutes} 分钟内先后出现在项目 {first} 和 {second}",
        {
            "projects": [first, second],
            "at": [earlier.isoformat(), later.isoformat()],
            "profile": profile.version,
        },
    )
