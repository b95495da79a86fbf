"""The wage warnings (pure): each fires on its condition, with evidence, and not otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from alerts.profiles import RuleProfile
from alerts.rules import Rule, Severity
from alerts.wage_rules import ExitFact, WageFacts, due_month, evaluate_wages
from analytics.wage_queries import MonthWages, WageLine, month_figures

PROFILE = RuleProfile()
TODAY = date(2026, 11, 30)
OCT, SEP = date(2026, 10, 1), date(2026, 9, 1)


def month(project: str, first: date, attended: dict[str, int], paid: dict[str, int]) -> MonthWages:
    return MonthWages(project, first, attended, paid, frozenset(paid))


HEALTHY = WageFacts(
    project_id="P1",
    today=TODAY,
    start_date=date(2026, 1, 1),
    has_wage_account=True,
    due=month("P1", OCT, {"1": 22, "2": 20}, {"1": 600_000, "2": 550_000}),
    past=[
        month("P1", OCT, {"1": 22, "2": 20}, {"1": 600_000, "2": 550_000}),
        month("P1", SEP, {"1": 20}, {"1": 500_000}),
    ],
    due_sheet_states=["reconciled"],
)


def rules(facts: WageFacts, profile: RuleProfile = PROFILE) -> dict[Rule, list[object]]:
    found: dict[Rule, list[object]] = {}
    for finding in evaluate_wages(facts, profile):
        found.setdefault(finding.rule, []).append(finding)
    return found


def test_the_due_month_is_last_month_only_once_its_pay_day_passed() -> None:
    assert due_month(date(2026, 11, 16), 15) == OCT
    assert due_month(date(2026, 11, 15), 15) == SEP
    assert due_month(date(2026, 1, 3), 15) == date(2025, 11, 1)


def test_a_healthy_project_has_no_wage_warning() -> None:
    assert rules(HEALTHY) == {}


def test_each_wage_warning_fires_on_its_condition() -> None:
    cases = {
        Rule.PAYROLL_LATE: replace(HEALTHY, due_sheet_states=["sent"]),
        Rule.WAGE_PAID_SHORT: replace(  # worker 3 has a line, but it failed
            HEALTHY,
            due=replace(
                HEALTHY.due, attended={"1": 22, "2": 20, "3": 3}, recorded=frozenset("123")
            ),
        ),
        Rule.WAGE_PER_HEAD_LOW: replace(
            HEALTHY, due=replace(HEALTHY.due, paid_fen={"1": 150_000, "2": 150_000})
        ),
        Rule.WAGE_UNPAID_TWO_MONTHS: replace(
            HEALTHY, past=[month("P1", SEP, {"1": 20, "9": 3}, {"1": 500_000})]
        ),
        Rule.PAYMENT_NOT_REPAID: replace(HEALTHY, stale_failures=[41]),
        Rule.WAGE_WORKER_HIGH: replace(HEALTHY, worker_month_fen={"1": 5_000_001}),
    }
    owing = {Rule.WAGE_UNPAID_TWO_MONTHS}  # September is owed, too (its "past" month)
    for rule, facts in cases.items():
        found = rules(facts)
        expected = {rule, Rule.WAGE_ARREARS} if rule in owing else {rule}
        assert set(found) == expected, (rule, set(found))
    no_record = replace(
        HEALTHY,
        due=MonthWages(
            "P1", OCT, {str(w): 20 for w in range(10)}, {"1": 600_000}, frozenset({"1"})
        ),
    )
    assert Rule.WAGE_UNRECORDED in rules(no_record)
    [late] = rules(replace(HEALTHY, due_sheet_states=[]))[Rule.PAYROLL_LATE]
    assert late.window == "2026-10" and late.severity is Severity.CRITICAL  # type: ignore[attr-defined]


def test_the_yearly_limit_and_the_regional_thresholds() -> None:
    year = rules(replace(HEALTHY, worker_year_fen={"2": 30_000_001}))[Rule.WAGE_WORKER_HIGH]
    assert [f.window for f in year] == ["2026"]  # type: ignore[attr-defined]
    strict = replace(PROFILE, min_wage_monthly=6000)  # per head here: 5,750
    assert Rule.WAGE_PER_HEAD_LOW in rules(HEALTHY, strict)


def test_no_wage_account_after_the_grace_period_and_nothing_else_without_one() -> None:
    without = replace(HEALTHY, has_wage_account=False, due_sheet_states=[])
    assert set(rules(without)) == {Rule.NO_WAGE_ACCOUNT}
    young = replace(without, start_date=TODAY - timedelta(days=10))
    assert rules(young) == {}


def test_figures_count_only_payments_that_arrived_in_time() -> None:
    lines = [
        WageLine("P1", "1", 500_000, "paid", date(2026, 10, 20)),
        WageLine("P1", "2", 400_000, "paid", date(2026, 11, 20)),
        WageLine("P1", "3", 400_000, "failed", None),
    ]
    attended = {"P1": {"1": 20, "2": 20, "3": 20, "4": 1}}
    by_end_of_october = month_figures(["P1"], SEP, attended, lines, paid_by=date(2026, 10, 31))
    figures = by_end_of_october["P1"]
    assert figures.unpaid_attended == ["2", "3", "4"] and figures.unrecorded_attended == ["4"]
    assert figures.failed_lines == 1 and figures.per_head_fen == 500_000
    assert datetime(2026, 11, 30, tzinfo=UTC)  # the rules run on Beijing days


def test_an_exited_worker_unsettled_is_red_and_yellow_while_a_dispute_is_handled() -> None:
    left = ExitFact("7", date(2026, 10, 20), settled=False, confirmed=False, disputed=False)
    [red] = rules(replace(HEALTHY, exits=[left]))[Rule.EXITED_UNSETTLED]
    assert red.severity is Severity.CRITICAL and red.subject == "worker:7@P1"  # type: ignore[attr-defined]
    [yellow] = rules(replace(HEALTHY, exits=[replace(left, disputed=True)]))[Rule.EXITED_UNSETTLED]
    assert yellow.severity is Severity.WARNING  # type: ignore[attr-defined]
    for settled in (replace(left, settled=True), replace(left, confirmed=True)):
        assert rules(replace(HEALTHY, exits=[settled])) == {}
    not_due_yet = replace(left, exit_date=date(2026, 11, 3))  # November's pay is due in December
    assert rules(replace(HEALTHY, exits=[not_due_yet])) == {}


def test_arrears_are_yellow_then_orange_then_red_as_they_age_and_name_the_workers_owed() -> None:
    owed = month("P1", SEP, {"1": 20, "7": 5, "8": 2}, {"1": 500_000})
    facts = replace(HEALTHY, past=[owed])  # September's pay was due on October 15

    def arrears(today: date) -> list[object]:
        return rules(replace(facts, today=today)).get(Rule.WAGE_ARREARS, [])

    assert arrears(date(2026, 10, 15)) == []  # the pay day itself: not late yet
    levels = {
        date(2026, 10, 16): Severity.WARNING,  # 1 day
        date(2026, 11, 14): Severity.MAJOR,  # 30 days
        date(2026, 12, 14): Severity.MAJOR,  # 60 days
        date(2026, 12, 15): Severity.CRITICAL,  # 61 days
    }
    for today, level in levels.items():
        [finding] = arrears(today)
        assert finding.severity is level, today  # type: ignore[attr-defined]
    [finding] = arrears(date(2026, 11, 30))
    assert finding.window == "2026-09" and finding.subject == "project:P1"  # type: ignore[attr-defined]
    assert finding.evidence["notify_workers"] == ["7", "8"]  # type: ignore[attr-defined]
    assert finding.evidence["age_days"] == 46  # type: ignore[attr-defined]
    assert "橙色" in finding.message_zh  # type: ignore[attr-defined]
    paid = month("P1", SEP, {"1": 20, "7": 5, "8": 2}, {"1": 500_000, "7": 1, "8": 1})
    assert Rule.WAGE_ARREARS not in rules(replace(facts, past=[paid]))
    later_pay_day = replace(PROFILE, pay_day=28)  # a project's own pay day moves the bands
    [finding] = rules(replace(facts, today=date(2026, 11, 14)), later_pay_day)[Rule.WAGE_ARREARS]
    assert finding.severity is Severity.WARNING  # type: ignore[attr-defined]


def test_pay_for_days_on_another_site_and_high_pay_for_few_days() -> None:
    due = month("P1", OCT, {"1": 22, "2": 2}, {"1": 600_000, "2": 1_200_000, "3": 500_000})
    due = replace(due, attended={"1": 22, "2": 2})
    facts = replace(HEALTHY, due=due, elsewhere_days={"3": {"P9": 18}})
    found = rules(facts)
    [elsewhere] = found[Rule.WAGE_PAID_ELSEWHERE]
    assert elsewhere.subject == "worker:3@P1" and elsewhere.severity is Severity.CRITICAL  # type: ignore[attr-defined]
    assert elsewhere.evidence["days_elsewhere"] == {"P9": 18}  # type: ignore[attr-defined]
    [few] = found[Rule.WAGE_HIGH_FOR_FEW_DAYS]
    assert few.subject == "worker:2@P1" and few.severity is Severity.WARNING  # type: ignore[attr-defined]
    modest = replace(due, paid_fen={"1": 600_000, "2": 99_999})
    assert not {Rule.WAGE_HIGH_FOR_FEW_DAYS, Rule.WAGE_PAID_ELSEWHERE} & set(
        rules(replace(facts, due=modest))
    )
