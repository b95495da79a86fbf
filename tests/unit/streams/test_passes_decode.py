from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from streams.event_time import EventTimeWindow
from streams.passes import DecodedBatch, decode_passes, unique_by_event_id
from streams.records import Direction, PassEvent, PassMethod

NOW = datetime(2026, 11, 21, tzinfo=UTC)
WINDOW = EventTimeWindow(max_backlog=timedelta(days=92), max_skew=timedelta(seconds=300))


def event(event_id: str, occurred_at: datetime = NOW) -> PassEvent:
    return PassEvent(
        event_id=event_id,
        device_id="G1",
        project_id="P1",
        worker_id=None,
        direction=Direction.IN,
        method=PassMethod.CARD,
        occurred_at=occurred_at,
        received_at=NOW,
    )


def decode(values: list[bytes | None]) -> DecodedBatch:
    return decode_passes(values, source_topic="sitepulse.gate.passes", now=NOW, window=WINDOW)


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("1969-12-31T23:00:00+08:00", "before the backlog horizon"),
        ("1970-01-01T00:00:00Z", "before the backlog horizon"),
        ("0001-01-01T00:00:00+08:00", "out of the range of representable times"),
        ("9999-12-31T23:59:59-08:00", "out of the range of representable times"),
        ("2026-11-21T00:05:01Z", "in the future"),
        ("2026-08-20T23:59:59Z", "before the backlog horizon"),
    ],
)
def test_unbelievable_times_from_any_producer_are_dead_lettered(
    occurred_at: str, reason: str
) -> None:
    raw = json.loads(event("G1:9").to_json())
    raw["occurred_at"] = occurred_at
    batch = decode([json.dumps(raw).encode(), event("G1:1").to_json()])
    assert [e.event_id for e in batch.events] == ["G1:1"]
    [letter] = batch.dead_letters
    assert "occurred_at" in letter.reason and reason in letter.reason


def test_times_inside_the_window_pass() -> None:
    edge = [NOW - timedelta(days=92), NOW + timedelta(seconds=300)]
    batch = decode([event(f"G1:{i}", moment).to_json() for i, moment in enumerate(edge)])
    assert len(batch.events) == 2 and not batch.dead_letters


def test_bad_values_become_dead_letters_with_reasons_and_good_ones_survive() -> None:
    values = [
        event("G1:1").to_json(),
        b"{oops",
        None,
        b'{"event_id": "x"}',
        event("G1:2").to_json(),
    ]
    batch = decode(values)
    assert [e.event_id for e in batch.events] == ["G1:1", "G1:2"]
    assert len(batch.dead_letters) == 3
    assert "Invalid JSON" in batch.dead_letters[0].reason
    assert batch.dead_letters[1].reason == "empty message"
    assert "device_id: Field required" in batch.dead_letters[2].reason
    assert batch.dead_letters[0].payload == "{oops"


def test_duplicates_keep_the_first() -> None:
    kept = unique_by_event_id([event("a"), event("b"), event("a")])
    assert [e.event_id for e in kept] == ["a", "b"]
