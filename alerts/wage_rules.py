"""The published wage-payment warnings (工资支付监控预警), as pure rules: a project's wage
facts in, findings out (keyed like every finding, so the lifecycle opens, refreshes and
clears them: 消警 when the money arrives).

Which month is judged: a month's payroll is due by ``pay_day`` of the next month, so the
*due month* is last month once that day has passed, else the month before. The "nothing
paid in M or M+1" rule judges the months two to four back from today (so it fires from the
first day of M+2, and stays until the money arrives). Arrears (欠薪) are judged on every
month of the last year whose pay day has passed, banded by their age (三色预警); their
evidence names the workers owed, and each of them is notified.
Only projects under wage monitoring are judged: those with a wage account (工资专户); a
project without one past its grace period gets the no-account warning instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from alerts.profiles import RuleProfile
from alerts.rules import Finding, Rule, Severity
from analytics.wage_queries import MonthWages


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def due_month(today: date, pay_day: int) -> date:
    """The latest month whose payroll is due by now."""
    last = previous_month(today)
    return last if today.day > pay_day else previous_month(last)


@dataclass(frozen=True)
class ExitFact:
    """A worker who left the project: is their last month settled (paid), or have they
    confirmed in the app that it is, or is a dispute of theirs being handled?"""

    worker_id: str
    exit_date: date
    settled: bool
    confirmed: bool
    disputed: bool


@dataclass(frozen=True)
class WageFacts:
    project_id: str
    today: date
    start_date: date | None
    has_wage_account: bool
    due: MonthWages  # the due month
    past: list[MonthWages] = field(default_factory=list)  # the months before this one
    due_sheet_states: list[str] = field(default_factory=list)  # regular sheets of the due month
    stale_failures: list[int] = field(default_factory=list)  # failed lines not paid again
    worker_month_fen: dict[str, int] = field(default_factory=dict)  # due month, all projects
    worker_year_fen: dict[str, int] = field(default_factory=dict)  # the due month's year
    exits: list[ExitFact] = field(default_factory=list)  # recent exits from the project
    # The due month's workers paid here: their days on other projects' sites.
    elsewhere_days: dict[str, dict[str, int]] = field(default_factory=dict)


ARREARS_MONTHS = 12  # how far back arrears are judged


def months_back(month: date, today: date) -> int:
    return (today.year - month.year) * 12 + today.month - month.month


def pay_date(month: date, pay_day: int) -> date:
    """The day a month's payroll is due: ``pay_day`` of the next month."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=pay_day)


def arrears_band(age_days: int, profile: RuleProfile) -> tuple[Severity, str]:
    """The colour of arrears this many days past their pay day (a month is 30 days)."""
    if age_days > profile.arrears_red_months * 30:
        return Severity.CRITICAL, "红色"
    if age_days >= profile.arrears_orange_months * 30:
        return Severity.MAJOR, "橙色"
    return Severity.WARNING, "黄色"


_SETTLED = {"reconciled", "partly_failed"}


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def evaluate_wages(facts: WageFacts, profile: RuleProfile) -> list[Finding]:
    found: list[Finding] = []
    project = facts.project_id
    subject = f"project:{project}"

    def add(
        rule: Rule, subject: str, window: str, severity: Severity, zh: str, **evidence: Any
    ) -> None:
        evidence["profile"] = profile.version
        found.append(Finding(rule, subject, window, project, severity, zh, evidence))

    if not facts.has_wage_account:
        grace = timedelta(days=profile.wage_account_grace_days)
        if facts.start_date is not None and facts.today >= facts.start_date + grace:
            add(
                Rule.NO_WAGE_ACCOUNT,
                subject,
                "",
                Severity.WARNING,
                f"项目开工已超过 {profile.wage_account_grace_days} 天，尚未开立农民工工资专用账户",
                start_date=facts.start_date.isoformat(),
            )
        return found

    due, month = facts.due, f"{facts.due.month:%Y-%m}"
    settled = bool(facts.due_sheet_states) and set(facts.due_sheet_states) <= _SETTLED
    if due.attended_workers and not settled:
        pay_by = pay_date(facts.due.month, profile.pay_day)
        add(
            Rule.PAYROLL_LATE,
            subject,
            month,
            Severity.CRITICAL,
            f"{month} 工资未按时发放：应于 {pay_by:%Y-%m-%d} 前完成银行代发并对账",
            attended_workers=due.attended_workers,
            sheets=sorted(facts.due_sheet_states),
        )
    if due.attended_workers and due.paid_workers < due.attended_workers:
        add(
            Rule.WAGE_PAID_SHORT,
            subject,
            month,
            Severity.WARNING,
            f"{month} 工资发放人数 {due.paid_workers} 少于考勤人数 {due.attended_workers}",
            paid_workers=due.paid_workers,
            attended_workers=due.attended_workers,
            unpaid_sample=due.unpaid_attended[:20],
        )
    unrecorded = due.unrecorded_attended
    if (
        due.attended_workers
        and len(unrecorded) / due.attended_workers > profile.unrecorded_share_max
    ):
        share = len(unrecorded) / due.attended_workers
        add(
            Rule.WAGE_UNRECORDED,
            subject,
            month,
            Severity.CRITICAL,
            f"{month} 考勤人员中 {share:.0%} 无工资记录，超过 {profile.unrecorded_share_max:.0%}",
            unrecorded=len(unrecorded),
            attended_workers=due.attended_workers,
            sample=unrecorded[:20],
        )
    per_head = due.per_head_fen
    if per_head is not None and per_head < profile.min_wage_monthly * 100:
        add(
            Rule.WAGE_PER_HEAD_LOW,
            subject,
            month,
            Severity.CRITICAL,
            f"{month} 人均工资 {_yuan(per_head)} 元，低于 {profile.min_wage_monthly} 元",
            per_head_yuan=per_head / 100,
            paid_workers=due.paid_workers,
        )
    for back in facts.past:
        if not back.unpaid_attended or not 2 <= months_back(back.month, facts.today) <= 4:
            continue
        back_month = f"{back.month:%Y-%m}"
        add(
            Rule.WAGE_UNPAID_TWO_MONTHS,
            subject,
            back_month,
            Severity.CRITICAL,
            f"{len(back.unpaid_attended)} 名工人 {back_month} 有考勤，"
            "当月及次月均未通过专户发放工资",
            unpaid=len(back.unpaid_attended),
            sample=back.unpaid_attended[:20],
        )
    if facts.stale_failures:
        add(
            Rule.PAYMENT_NOT_REPAID,
            subject,
            "",
            Severity.CRITICAL,
            f"{len(facts.stale_failures)} 笔银行代发失败的工资"
            f"超过 {profile.repay_days} 天未重新发放",
            lines=facts.stale_failures[:50],
        )
    found.extend(_arrears(facts, profile))
    found.extend(_paid_against_days(facts, profile))
    for left in facts.exits:
        exit_month = left.exit_date.replace(day=1)
        if exit_month > facts.due.month or left.settled or left.confirmed:
            continue  # not due yet, paid, or the worker confirmed it is
        level = Severity.WARNING if left.disputed else Severity.CRITICAL
        add(
            Rule.EXITED_UNSETTLED,
            f"worker:{left.worker_id}@{project}",
            f"{exit_month:%Y-%m}",
            level,
            f"工人 {left.worker_id} 已于 {left.exit_date} 退场，无工资结算且本人未确认结清"
            + ("（工资异议处理中）" if left.disputed else ""),
            exit_date=left.exit_date.isoformat(),
            disputed=left.disputed,
        )
    for worker in sorted(set(due.paid_fen) | set(due.attended)):
        month_fen = facts.worker_month_fen.get(worker, 0)
        if month_fen > profile.worker_month_max * 100 and worker in due.paid_fen:
            add(
                Rule.WAGE_WORKER_HIGH,
                f"worker:{worker}@{project}",
                month,
                Severity.CRITICAL,
                f"工人 {worker} {month} 工资 {_yuan(month_fen)} 元，"
                f"超过单月 {profile.worker_month_max} 元",
                month_yuan=month_fen / 100,
            )
        year_fen = facts.worker_year_fen.get(worker, 0)
        if year_fen > profile.worker_year_max * 100 and worker in due.paid_fen:
            add(
                Rule.WAGE_WORKER_HIGH,
                f"worker:{worker}@{project}",
                f"{facts.due.month:%Y}",
                Severity.CRITICAL,
                f"工人 {worker} {facts.due.month:%Y} 年累计工资 {_yuan(year_fen)} 元，"
                f"超过 {profile.worker_year_max} 元",
                year_yuan=year_fen / 100,
            )
    return found


def _arrears(facts: WageFacts, profile: RuleProfile) -> list[Finding]:
    """Each past month with attended workers not yet paid, by the age of the debt."""
    found = []
    for month in facts.past:
        due_on = pay_date(month.month, profile.pay_day)
        owed = month.unpaid_attended
        if facts.today <= due_on or not owed:
            continue
        age = (facts.today - due_on).days
        severity, colour = arrears_band(age, profile)
        label = f"{month.month:%Y-%m}"
        found.append(
            Finding(
                Rule.WAGE_ARREARS,
                f"project:{facts.project_id}",
                label,
                facts.project_id,
                severity,
                f"{label} 工资拖欠 {len(owed)} 人，已逾期 {age} 天（{colour}预警）",
                {
                    "owed_workers": len(owed),
                    "notify_workers": owed,
                    "pay_date": due_on.isoformat(),
                    "age_days": age,
                    "band": severity.value,
                    "profile": profile.version,
                },
            )
        )
    return found


def _paid_against_days(facts: WageFacts, profile: RuleProfile) -> list[Finding]:
    """The cross-project checks on the due month: pay for days spent on another project's
    site, and high pay for very few days on site."""
    found = []
    due, label = facts.due, f"{facts.due.month:%Y-%m}"
    for worker, paid in sorted(due.paid_fen.items()):
        days = due.attended.get(worker, 0)
        elsewhere = facts.elsewhere_days.get(worker, {})
        subject = f"worker:{worker}@{facts.project_id}"
        evidence: dict[str, Any] = {
            "paid_yuan": paid / 100,
            "days_here": days,
            "profile": profile.version,
        }
        if days == 0 and elsewhere:
            found.append(
                Finding(
                    Rule.WAGE_PAID_ELSEWHERE,
                    subject,
                    label,
                    facts.project_id,
                    Severity.CRITICAL,
                    f"工人 {worker} {label} 在本项目无考勤却领取工资 {_yuan(paid)} 元，"
                    f"其考勤在项目 {'、'.join(sorted(elsewhere))}",
                    evidence | {"days_elsewhere": dict(sorted(elsewhere.items()))},
                )
            )
        elif days <= profile.few_days_max and paid >= profile.few_days_pay_min * 100:
            found.append(
                Finding(
                    Rule.WAGE_HIGH_FOR_FEW_DAYS,
                    subject,
                    label,
                    facts.project_id,
                    Severity.WARNING,
                    f"工人 {worker} {label} 出勤 {days} 天，工资 {_yuan(paid)} 元，出勤少而工资高",
                    evidence,
                )
            )
    return found
