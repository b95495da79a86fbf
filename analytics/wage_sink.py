"""Rows of ``wage_lines`` and ``wage_sheets`` from payroll facts (pure conversion).

A fact that cannot become a row (a field missing or of the wrong type) raises ValueError
with the reason: the caller dead-letters it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from streams.records import PayrollFact

LINE_COLUMNS = (
    "line_id",
    "sheet_id",
    "project_id",
    "enterprise_id",
    "month",
    "kind",
    "worker_id",
    "revision",
    "current",
    "days_worked",
    "amount_fen",
    "status",
    "paid_on",
    "reason",
    "version",
)
SHEET_COLUMNS = ("sheet_id", "project_id", "enterprise_id", "month", "kind", "state", "version")
LINE_FACTS = frozenset({"line", "payment", "failure"})


def _month(value: Any) -> date:
    return date.fromisoformat(f"{value}-01")


def _fen(value: Any) -> int:
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a number") from None


def line_row(fact: PayrollFact) -> tuple[Any, ...]:
    data = fact.data
    try:
        paid_on = data.get("paid_on")
        return (
            int(data["line_id"]),
            int(data["sheet_id"]),
            str(data["project_id"]),
            int(data["enterprise_id"]),
            _month(data["month"]),
            str(data.get("kind") or "regular"),
            str(data["worker_id"]),
            int(data.get("revision") or 1),
            int(bool(data.get("current", True))),
            int(data["days_worked"]),
            _fen(data["amount"]),
            str(data.get("status") or "pending"),
            date.fromisoformat(paid_on) if paid_on else None,
            str(data.get("reason") or ""),
            fact.seq,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a {fact.fact} fact lacks {exc}") from None


def sheet_row(fact: PayrollFact) -> tuple[Any, ...]:
    data = fact.data
    try:
        return (
            int(data["sheet_id"]),
            str(data["project_id"]),
            int(data["enterprise_id"]),
            _month(data["month"]),
            str(data.get("kind") or "regular"),
            str(data["state"]),
            fact.seq,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a sheet fact lacks {exc}") from None
