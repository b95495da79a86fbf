"""A pure model of construction sites for the gate simulator: who passes which gate, when.

Traffic follows a working day: a morning peak of entries around 07:30, a smaller lunch
bump, an evening peak of exits around 17:45, and a trickle at other times. Workers keep
state (on or off site), so directions alternate per worker as they do at a real gate.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

_PEAKS = ((7.5, 0.7, 1.0), (12.0, 0.5, 0.25), (17.75, 0.75, 0.9))  # (hour, sigma h, weight)
_BASELINE = 0.08


def intensity(hour: float) -> float:
    """Relative pass rate at a time of day (hours, 0-24)."""
    return _BASELINE + sum(w * math.exp(-0.5 * ((hour - h) / s) ** 2) for h, s, w in _PEAKS)


MEAN_INTENSITY = sum(intensity(minute / 60) for minute in range(24 * 60)) / (24 * 60)


def entry_share(hour: float) -> float:
    """Share of passes that are entries at a time of day: mostly in before noon, out after."""
    return 1 / (1 + math.exp((hour - 12.5) * 1.2))


@dataclass(frozen=True)
class Gate:
    device_id: str
    project_id: str
    direction: str  # "in", "out" or "unknown" for a two-way gate


@dataclass
class Project:
    project_id: str
    gates: list[Gate]
    workers: list[str]
    on_site: set[str] = field(default_factory=set)
    stays: set[str] = field(default_factory=set)  # once in, they never pass out


def build_sites(projects: int, gates: int, workers: int) -> list[Project]:
    """Deterministic ids: project ``P001``, gate ``P001-G01``, worker ``P001-W00001``."""
    sites = []
    for p in range(1, projects + 1):
        project_id = f"P{p:03d}"
        directions = ["in", "out"] if gates > 1 else ["unknown"]
        site_gates = [
            Gate(f"{project_id}-G{g:02d}", project_id, directions[(g - 1) % len(directions)])
            for g in range(1, gates + 1)
        ]
        site_workers = [f"{project_id}-W{w:05d}" for w in range(1, workers + 1)]
        sites.append(Project(project_id, site_gates, site_workers))
    return sites


class SiteModel:
    def __init__(
        self,
        sites: list[Project],
        *,
        seed: int,
        start: datetime,
        speed: float,
        serial_base: int = 0,
    ) -> None:
        """``serial_base`` keeps device serials of separate runs from colliding."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.sites = sites
        self._rng = random.Random(seed)
        self._start = start
        self._speed = speed
        self._serial_base = serial_base
        self._serials: dict[str, int] = {}

    def sim_time(self, elapsed_real_s: float, *, not_after: datetime | None = None) -> datetime:
        """The simulated moment; never later than ``not_after`` (real time: a gate's clock
        that runs ahead is refused by ingest), where the fast clock falls into step."""
        moment = self._start + timedelta(seconds=elapsed_real_s * self._speed)
        return moment if not_after is None else min(moment, not_after)

    @staticmethod
    def hour_of(moment: datetime) -> float:
        return moment.hour + moment.minute / 60 + moment.second / 3600

    def rate_factor(self, moment: datetime) -> float:
        """How much busier than the daily average this moment is."""
        return intensity(self.hour_of(moment)) / MEAN_INTENSITY

    def moved_to(self, gate: Gate, item: dict[str, Any]) -> dict[str, Any]:
        """The item as ``gate`` sends it: with that gate's next serial."""
        serial = self._serials.get(gate.device_id, self._serial_base) + 1
        self._serials[gate.device_id] = serial
        return {**item, "serial": serial}

    def unknown_face(self, gate: Gate, moment: datetime) -> dict[str, Any]:
        """A face the gate could not match to anyone (an incident of the demo)."""
        serial = self._serials.get(gate.device_id, self._serial_base) + 1
        self._serials[gate.device_id] = serial
        return {
            "serial": serial,
            "occurred_at": moment.isoformat(timespec="milliseconds"),
            "direction": "in",
            "method": "face",
            "worker_id": None,
            "score": round(0.2 * self._rng.random(), 3),
        }

    def next_pass(self, moment: datetime) -> tuple[Gate, dict[str, Any]]:
        """The gate and the device's JSON item for the next pass at ``moment``."""
        site = self._rng.choice(self.sites)
        wants_entry = self._rng.random() < entry_share(self.hour_of(moment))
        off_site = len(site.workers) - len(site.on_site)
        leavers = site.on_site - site.stays
        if (wants_entry and off_site == 0) or (not wants_entry and not leavers):
            wants_entry = not wants_entry
        if wants_entry:
            worker = self._rng.choice(site.workers)
            while worker in site.on_site:
                worker = self._rng.choice(site.workers)
            site.on_site.add(worker)
        else:
            worker = self._rng.choice(tuple(leavers))
            site.on_site.discard(worker)
        direction = "in" if wants_entry else "out"
        lanes = [g for g in site.gates if g.direction in (direction, "unknown")] or site.gates
        gate = self._rng.choice(lanes)
        serial = self._serials.get(gate.device_id, self._serial_base) + 1
        self._serials[gate.device_id] = serial
        item = {
            "serial": serial,
            "occurred_at": moment.isoformat(timespec="milliseconds"),
            "direction": direction,
            "method": "face",
            "worker_id": worker,
            "score": round(0.6 + 0.4 * self._rng.random(), 3),
        }
        return gate, item
