"""Alert thresholds as versioned configuration with regional profiles (pure).

A profile is the defaults overlaid with the settings of the longest matching region prefix
(``45`` is Guangxi, ``4507`` Qinzhou). Every finding records the profile version it was
judged by, so a changed threshold is traceable in the alert's evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class RuleProfile:
    version: str = "2026.11-default"
    update_rate_min: float = 0.85  # 考勤更新率 over update_rate_days
    update_rate_days: int = 7
    no_attendance_days: int = 3  # counted from briefing + briefing_grace_days
    briefing_grace_days: int = 10
    key_presence_min: float = 0.60  # 关键岗位到岗率 in a month
    missed_exit_days: int = 7  # worker not seen, still on the roster
    shift_end_hour: int = 22  # Beijing: entered and never left by then
    device_offline_minutes: int = 30
    clock_skew_max_s: int = 120  # a terminal's clock off by more than this: warning
    unknown_faces_max: int = 5  # per gate within unknown_faces_minutes
    unknown_faces_minutes: int = 10
    cross_project_minutes: int = 60
    escalate_after_minutes: int = 24 * 60  # unacknowledged this long: to the regulator
    # While every gate of a project is dark its attendance alerts are held (neither judged
    # nor cleared), for at most this long; then they are judged on what arrived.
    dark_gates_hold_hours: int = 72
    # Wage warnings (工资支付监控预警), the published defaults; each a per-region setting.
    min_wage_monthly: int = 1890  # CNY: pay per head below this is red
    worker_month_max: int = 50_000  # CNY to one worker in a month: red
    worker_year_max: int = 300_000  # CNY to one worker in a calendar year: red
    unrecorded_share_max: float = 0.10  # attended workers with no wage record: red above
    pay_day: int = 15  # a month's payroll is reconciled by this day of the next month
    repay_days: int = 7  # a failed payment is paid again within this many days
    wage_account_grace_days: int = 30  # after the project's start, it has a wage account
    # Arrears age bands (欠薪三色预警), counted from the pay day: yellow under the first,
    # orange from it, red beyond the second (a month is taken as 30 days).
    arrears_orange_months: int = 1
    arrears_red_months: int = 2
    # Cross-project checks (no published figure; SitePulse's defaults): pay of at least
    # ``few_days_pay_min`` CNY for at most ``few_days_max`` days on site is yellow.
    few_days_max: int = 3
    few_days_pay_min: int = 10_000


DEFAULT = RuleProfile()
# Region prefix -> overrides. Guangxi publishes the figures above; a region may differ.
REGIONAL: dict[str, dict[str, Any]] = {
    "45": {"version": "2026.11-guangxi"},
}


def profile_for(
    region_code: str, overrides: dict[str, dict[str, Any]] | None = None
) -> RuleProfile:
    """The profile of a region: defaults, then each matching prefix from short to long."""
    table = {**REGIONAL, **(overrides or {})}
    profile = DEFAULT
    for prefix in sorted((p for p in table if region_code.startswith(p)), key=len):
        profile = replace(profile, **table[prefix])
    return profile


#: The range each threshold may be set to: a typo must not switch a warning off
#: (a rate of 0, a window of 10^12 days) nor make it fire on everything.
BOUNDS: dict[str, tuple[float, float]] = {
    "update_rate_min": (0.1, 1.0),
    "update_rate_days": (1, 31),
    "no_attendance_days": (1, 31),
    "briefing_grace_days": (0, 60),
    "key_presence_min": (0.1, 1.0),
    "missed_exit_days": (1, 60),
    "shift_end_hour": (12, 23),
    "device_offline_minutes": (5, 24 * 60),
    "clock_skew_max_s": (10, 3600),
    "unknown_faces_max": (1, 1000),
    "unknown_faces_minutes": (1, 24 * 60),
    "cross_project_minutes": (5, 24 * 60),
    "escalate_after_minutes": (10, 7 * 24 * 60),
    "dark_gates_hold_hours": (1, 14 * 24),
    "min_wage_monthly": (500, 10_000),
    "worker_month_max": (5_000, 1_000_000),
    "worker_year_max": (50_000, 10_000_000),
    "unrecorded_share_max": (0.0, 0.5),
    "pay_day": (1, 28),
    "repay_days": (1, 60),
    "wage_account_grace_days": (0, 180),
    "arrears_orange_months": (1, 12),
    "arrears_red_months": (1, 24),
    "few_days_max": (1, 15),
    "few_days_pay_min": (1_000, 100_000),
}
_VERSION_MAX = 64


def validate_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """Only known thresholds of the right type, finite and inside :data:`BOUNDS`; raises
    ValueError naming the first bad one."""
    known = {f.name: f.type for f in fields(RuleProfile)}
    for name, value in values.items():
        if name not in known:
            raise ValueError(f"unknown threshold {name!r}")
        expected = {"float": (int, float), "int": (int,), "str": (str,)}[str(known[name])]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError(f"{name} must be {known[name]}")
        if isinstance(value, str):
            if not 1 <= len(value) <= _VERSION_MAX:
                raise ValueError(f"{name} must be 1 to {_VERSION_MAX} characters")
            continue
        low, high = BOUNDS[name]
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return values
