"""What a region asks of its workers in the app beyond the national minimum (pure).

Shanghai's real-name system (seed 004) has every worker confirm their employment record
(聘用信息确认) and record a health check (健康体检); other regions ask neither. Regions are
matched by code prefix, as the alert profiles are (``31`` is Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerDuties:
    employment_confirmation: bool = False
    health_check: bool = False


NONE = WorkerDuties()
REGIONAL: dict[str, WorkerDuties] = {
    "31": WorkerDuties(employment_confirmation=True, health_check=True),
}


def duties_for(region_code: str) -> WorkerDuties:
    """The duties of the longest region prefix that ``region_code`` starts with."""
    matching = [prefix for prefix in REGIONAL if region_code.startswith(prefix)]
    return REGIONAL[max(matching, key=len)] if matching else NONE


def employment_regions() -> list[str]:
    """The region prefixes that ask for employment confirmation (for SQL ``LIKE``)."""
    return [p for p, duties in REGIONAL.items() if duties.employment_confirmation]


def health_check_regions() -> list[str]:
    return [p for p, duties in REGIONAL.items() if duties.health_check]
