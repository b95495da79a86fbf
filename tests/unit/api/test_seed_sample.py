from __future__ import annotations

from collections import Counter

from api.identity import parse_resident_id, validate_credit_code, validate_mobile
from api.seed import build_sample


def test_the_sample_region_is_valid_deterministic_and_realistic() -> None:
    sample = build_sample(projects=3, workers=300, seed=1)
    assert build_sample(projects=3, workers=300, seed=1) == sample
    assert [p["project_id"] for p in sample.projects] == ["P001", "P002", "P003"]
    for worker in sample.workers:
        parse_resident_id(worker["id_number"])  # raises on any invalid number
        validate_mobile(worker["phone"])
    assert len({w["id_number"] for w in sample.workers}) == 300
    for enterprise in sample.enterprises:
        validate_credit_code(enterprise["credit_code"])
    per_project = Counter(w["project_id"] for w in sample.workers)
    assert set(per_project.values()) == {100}
    teams = {(t["project_id"], t["name"]) for t in sample.teams}
    assert all((w["project_id"], w["team"]) in teams for w in sample.workers)
