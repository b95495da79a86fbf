from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from infra.errors import InvalidInputError
from streams.device_states import newest_times
from streams.records import (
    DevicePass,
    HeartbeatEvent,
    PassEvent,
    parse_device_batch,
    parse_heartbeat_event,
    parse_pass_event,
)

GOOD = {
    "serial": 17,
    "occurred_at": "2026-11-21T07:31:05+08:00",
    "direction": "in",
    "method": "face",
    "worker_id": "W1",
    "score": 0.93,
}


def batch(*items: dict[str, object]) -> bytes:
    return json.dumps({"events": list(items)}).encode()


def problems_of(body: bytes) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        parse_device_batch(body)
    return {problem.field: problem.reason for problem in caught.value.problems}


def test_a_good_batch_parses_and_times_become_utc() -> None:
    parsed = parse_device_batch(batch(GOOD))
    assert parsed.events[0].occurred_at == datetime(2026, 11, 20, 23, 31, 5, tzinfo=UTC)


def test_each_bad_field_is_named_with_its_reason() -> None:
    bad = {**GOOD, "direction": "sideways", "score": 1.5, "extra": 1}
    found = problems_of(batch(GOOD, bad))
    assert set(found) == {"events.1.direction", "events.1.score", "events.1.extra"}
    assert "'in', 'out' or 'unknown'" in found["events.1.direction"]
    assert "less than or equal to 1" in found["events.1.score"]


def test_naive_timestamps_are_refused_because_devices_live_in_many_zones() -> None:
    found = problems_of(batch({**GOOD, "occurred_at": "2026-11-21T07:31:05"}))
    assert "timezone offset" in found["events.0.occurred_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "body"),
        (b'{"events": []}', "events"),
        (b"{}", "events"),
        (batch({k: v for k, v in GOOD.items() if k != "serial"}), "events.0.serial"),
        (batch({**GOOD, "worker_id": "bad id with spaces"}), "events.0.worker_id"),
    ],
)
def test_malformed_bodies_name_the_field(body: bytes, field: str) -> None:
    assert field in problems_of(body)


def test_problems_carry_a_chinese_message_for_the_ui() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_device_batch(batch({**GOOD, "direction": "sideways"}))
    assert caught.value.problems[0].message_zh == "events.0.direction: 取值不在允许范围内"


def test_event_id_is_device_plus_serial_and_round_trips_through_json() -> None:
    item = DevicePass.model_validate(GOOD)
    event = PassEvent.from_device(
        item, device_id="G1", project_id="P1", received_at=datetime(2026, 11, 21, tzinfo=UTC)
    )
    assert event.event_id == "G1:17"
    assert parse_pass_event(event.to_json()) == event


def test_a_heartbeat_event_reads_back_and_refuses_what_is_not_one() -> None:
    beat = HeartbeatEvent(
        device_id="zk-1",
        project_id="P001",
        protocol="zkteco",
        received_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        firmware="Ver 8.0",
    )
    assert parse_heartbeat_event(beat.to_json()) == beat
    assert beat.device_time is None
    for broken in (b"", b"{}", b'{"device_id": "../x"}', beat.to_json()[:-1]):
        with pytest.raises(InvalidInputError):
            parse_heartbeat_event(broken)


def test_the_newest_time_of_each_device_is_kept() -> None:
    early = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    late = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    newest = newest_times([("a", late), ("a", early), ("b", early)])
    assert newest == {"a": late.timestamp(), "b": early.timestamp()}


PASS = {
    "event_id": "G1:1",
    "device_id": "G1",
    "project_id": "P1",
    "worker_id": None,
    "direction": "in",
    "method": "card",
    "occurred_at": "2026-11-21T07:31:05+08:00",
    "received_at": "2026-11-20T23:31:06Z",
}


def test_a_pass_event_holds_its_times_in_utc() -> None:
    event = parse_pass_event(json.dumps(PASS).encode())
    assert event.occurred_at == datetime(2026, 11, 20, 23, 31, 5, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == event.received_at.utcoffset() == timedelta(0)
    assert event.model_dump_json().count("Z") == 2


@pytest.mark.parametrize(
    ("moment", "reason", "message_zh"),
    [
        ("2026-11-21T07:31:05", "timezone", "须带时区"),
        ("0001-01-01T00:00:00+08:00", "out of the range of representable times", "超出"),
    ],
)
def test_a_pass_event_time_without_an_offset_or_beyond_utc_names_its_field(
    moment: str, reason: str, message_zh: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_pass_event(json.dumps({**PASS, "occurred_at": moment}).encode())
    [problem] = caught.value.problems
    assert problem.field == "occurred_at" and reason in problem.reason
    assert message_zh in problem.message_zh
