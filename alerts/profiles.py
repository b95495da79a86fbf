"""Alert thresholds as versioned configuration with regional profiles (pure).

A profile is the defaults overlaid with the settings of the longest matching region prefix
(``45`` is Guangxi, ``4507`` Qinzhou). Every finding records the profile version it was
judged by, so a changed threshold is traceable in the alert's evidence.
"""

from __future__ import annotations

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
    unknown_faces_max: int = 5  # per gate within unknown_faces_minutes
    unknown_faces_minutes: int = 10
    cross_project_minutes: int = 60
    escalate_after_minutes: int = 24 * 60  # unacknowledged this long: to the regulator


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


def validate_overrides(values: dict[str, Any]) -> dict[str, Any]:
    """Only known thresholds of the right type; raises ValueError naming the first bad one."""
    known = {f.name: f.type for f in fields(RuleProfile)}
    for name, value in values.items():
        if name not in known:
            raise ValueError(f"unknown threshold {name!r}")
        expected = {"float": (int, float), "int": (int,), "str": (str,)}[str(known[name])]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError(f"{name} must be {known[name]}")
    return values
