"""A project's month split by team, enterprise or worker (pure)."""

from __future__ import annotations

from datetime import date

from analytics.wage_queries import MonthWages, group_figures

OCT = date(2026, 10, 1)


def test_a_month_split_by_team_counts_each_worker_once() -> None:
    paid = {"1": 600_000, "4": 100_000}
    figures = MonthWages("P1", OCT, {"1": 20, "2": 18, "3": 4}, paid, frozenset(paid))
    teams = {"1": "T1", "2": "T1", "3": "T2"}
    split = {g.group: g for g in group_figures(figures, teams)}
    assert set(split) == {"T1", "T2", ""}  # worker 4 was paid but never attended: no team
    t1 = split["T1"]
    assert (t1.attended_workers, t1.attended_days, t1.paid_workers) == (2, 38, 1)
    assert (t1.paid_total_fen, t1.unpaid_attended) == (600_000, 1)
    assert split[""].paid_total_fen == 100_000 and split[""].attended_workers == 0
    assert sum(g.paid_total_fen for g in split.values()) == figures.paid_total_fen
