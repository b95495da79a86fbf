"""Rules judged on the pass stream: an unknown-face spike at a gate, a worker at two projects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.profiles import DEFAULT
from alerts.rules import Rule
from alerts.streaming import StreamingRules
from streams.records import Direction, PassEvent, PassMethod

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def passing(n: int, *, worker: str | None, project: str = "P1", minutes: float = 0) -> PassEvent:
    at = NOW + timedelta(minutes=minutes)
    return PassEvent(
        event_id=f"G1:{n}",
        device_id="G1",
        project_id=project,
        worker_id=worker,
        direction=Direction.IN,
        method=PassMethod.FACE,
        occurred_at=at,
        received_at=at,
        snapshot_ref=f"{project}/2026-11-20/G1_{n}.jpg",
    )


def test_the_sixth_unknown_face_in_ten_minutes_raises_one_finding_with_snapshots() -> None:
    rules = StreamingRules(DEFAULT)
    found = [f for n in range(5) for f in rules.observe(passing(n, worker=None, minutes=n))]
    assert found == []
    [spike] = rules.observe(passing(5, worker=None, minutes=5))
    assert spike.rule is Rule.UNKNOWN_FACES and spike.subject == "device:G1"
    assert spike.evidence["count"] == 6 and len(spike.evidence["snapshots"]) == 6
    assert rules.observe(passing(6, worker=None, minutes=6)) == []  # raised once
    quiet = StreamingRules(DEFAULT)  # spread over an hour: never six within ten minutes
    assert [
        f for n in range(12) for f in quiet.observe(passing(n, worker=None, minutes=5 * n))
    ] == []


def test_a_worker_at_a_second_project_within_the_hour() -> None:
    rules = StreamingRules(DEFAULT)
    assert rules.observe(passing(1, worker="12", project="P1")) == []
    assert rules.observe(passing(2, worker="12", project="P1", minutes=20)) == []
    [found] = rules.observe(passing(3, worker="12", project="P2", minutes=50))
    assert found.rule is Rule.CROSS_PROJECT and found.evidence["projects"] == ["P1", "P2"]
    assert rules.observe(passing(4, worker="13", project="P2", minutes=200)) == []
