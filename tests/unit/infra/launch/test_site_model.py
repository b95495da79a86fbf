from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from infra.launch.site_model import SiteModel, build_sites, entry_share, intensity


def test_peaks_are_in_the_morning_and_evening() -> None:
    assert intensity(7.5) > 5 * intensity(3.0)
    assert intensity(17.75) > 5 * intensity(22.0)
    assert entry_share(7.0) > 0.9 > 0.1 > entry_share(18.0)


def test_each_worker_alternates_in_and_out_and_serials_grow_per_gate() -> None:
    sites = build_sites(projects=2, gates=2, workers=5)
    model = SiteModel(
        sites, seed=1, start=datetime(2026, 11, 21, 5, tzinfo=UTC), speed=60, serial_base=1000
    )
    moment = datetime(2026, 11, 21, 6, tzinfo=UTC)
    last_direction: dict[str, str] = {}
    serials: dict[str, list[int]] = {}
    for step in range(400):
        gate, item = model.next_pass(moment + timedelta(minutes=step * 2))
        worker = str(item["worker_id"])
        assert last_direction.get(worker) != item["direction"]
        last_direction[worker] = str(item["direction"])
        assert gate.direction in (item["direction"], "unknown")
        assert worker.startswith(gate.project_id)
        serials.setdefault(gate.device_id, []).append(int(item["serial"]))
    for values in serials.values():
        assert values == sorted(values) and values[0] == 1001 and len(set(values)) == len(values)


def test_mornings_are_mostly_entries() -> None:
    sites = build_sites(projects=1, gates=2, workers=500)
    model = SiteModel(sites, seed=3, start=datetime(2026, 11, 21, 5, tzinfo=UTC), speed=60)
    moment = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    directions = Counter(model.next_pass(moment)[1]["direction"] for _ in range(300))
    assert directions["in"] > 3 * directions["out"]


def test_the_fast_clock_never_runs_ahead_of_real_time() -> None:
    start = datetime(2026, 11, 21, 6, tzinfo=UTC)
    model = SiteModel(build_sites(projects=1, gates=1, workers=3), seed=1, start=start, speed=600)
    real_now = start + timedelta(hours=1)
    assert model.sim_time(3, not_after=real_now) == start + timedelta(minutes=30)
    assert model.sim_time(60, not_after=real_now) == real_now  # 10 h simulated: caught up


def test_workers_who_stay_never_pass_out() -> None:
    sites = build_sites(projects=1, gates=2, workers=20)
    stays = set(sites[0].workers[:3])
    sites[0].stays.update(stays)
    model = SiteModel(sites, seed=4, start=datetime(2026, 11, 21, 5, tzinfo=UTC), speed=60)
    moment = datetime(2026, 11, 21, 6, tzinfo=UTC)
    passes = [model.next_pass(moment + timedelta(minutes=step))[1] for step in range(600)]
    out = {p["worker_id"] for p in passes if p["direction"] == "out"}
    came = {p["worker_id"] for p in passes if p["direction"] == "in"}
    assert stays <= came and not stays & out and len(out) > 10
