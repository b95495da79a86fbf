from __future__ import annotations

from datetime import UTC, datetime

from streams.passes import decode_passes, unique_by_event_id
from streams.records import Direction, PassEvent, PassMethod

NOW = datetime(2026, 11, 21, tzinfo=UTC)


def event(event_id: str) -> PassEvent:
    return PassEvent(
        event_id=event_id,
        device_id="G1",
        project_id="P1",
        worker_id=None,
        direction=Direction.IN,
        method=PassMethod.CARD,
        occurred_at=NOW,
        received_at=NOW,
    )


def test_bad_values_become_dead_letters_with_reasons_and_good_ones_survive() -> None:
    values = [
        event("G1:1").to_json(),
        b"{oops",
        None,
        b'{"event_id": "x"}',
        event("G1:2").to_json(),
    ]
    batch = decode_passes(values, source_topic="sitepulse.gate.passes", now=NOW)
    assert [e.event_id for e in batch.events] == ["G1:1", "G1:2"]
    assert len(batch.dead_letters) == 3
    assert "Invalid JSON" in batch.dead_letters[0].reason
    assert batch.dead_letters[1].reason == "empty message"
    assert "device_id: Field required" in batch.dead_letters[2].reason
    assert batch.dead_letters[0].payload == "{oops"


def test_duplicates_keep_the_first() -> None:
    kept = unique_by_event_id([event("a"), event("b"), event("a")])
    assert [e.event_id for e in kept] == ["a", "b"]
