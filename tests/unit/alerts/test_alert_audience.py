"""Which workers hear of an alert on their own channel."""

from __future__ import annotations

from alerts.audience import NoticeKind, notice_kind, worker_of_subject, workers_of_alert


def test_the_worker_an_alert_is_about_and_those_its_evidence_names() -> None:
    assert worker_of_subject("worker:12@P001") == "12"
    assert worker_of_subject("project:P001") is None
    assert workers_of_alert("worker:12@P001", {}) == ["12"]
    owed = {"notify_workers": ["7", "8", "7"]}
    assert workers_of_alert("project:P001", owed) == ["7", "8"]


def test_what_is_not_a_worker_id_is_left_out() -> None:
    odd = {"notify_workers": ["7", "x", 9, "٣", ""]}
    assert workers_of_alert("project:P001", odd) == ["7"]
    assert workers_of_alert("project:P001", {"notify_workers": "7"}) == []


def test_wage_alerts_are_wage_notices_and_the_rest_attendance_notices() -> None:
    assert notice_kind("wage_arrears") is NoticeKind.WAGES
    assert notice_kind("exited_worker_unsettled") is NoticeKind.WAGES
    assert notice_kind("missed_exit_procedure") is NoticeKind.ATTENDANCE
