"""Dahua's event stream: parts split as bytes arrive (by Content-Length or the next
boundary), heartbeats, access records read in the terminal's zone, refusals as nobody's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ingest.vendors.dahua import (
    AccessRecord,
    Beat,
    DahuaError,
    Other,
    PartReader,
    boundary_of,
    parse_part,
    software_version,
)
from streams.records import Direction, PassMethod

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCAL_8AM = int(datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC).timestamp())  # "UTC" = local


def part(body: str, *, length: bool = True) -> bytes:
    data = body.encode()
    head = "--myboundary\r\nContent-Type: text/plain\r\n"
    head += f"Content-Length: {len(data)}\r\n" if length else ""
    return head.encode() + b"\r\n" + data + b"\r\n"


def access(**data: object) -> str:
    record = {"RecNo": 12, "UTC": LOCAL_8AM, "UserID": "1001", "Method": 15, "Status": 1}
    record |= {"Type": "Entry", "ErrorCode": 0, **data}
    return "Code=AccessControl;action=Pulse;index=0;data=" + json.dumps(record, indent=3)


def read(body: bytes) -> object:
    return parse_part(body, zone=SHANGHAI, default=Direction.UNKNOWN)


def test_parts_come_out_as_soon_as_they_are_whole_however_the_bytes_arrive() -> None:
    stream = part("Heartbeat") + part(access()) + part(access(RecNo=13), length=False)
    reader = PartReader(boundary_of("multipart/x-mixed-replace; boundary=myboundary"))
    got = [body for index in range(len(stream)) for body in reader.feed(stream[index : index + 1])]
    assert got[0] == b"Heartbeat" and b'"RecNo": 12' in got[1]
    assert len(got) == 2  # the last has no length: it waits for the next boundary
    assert b'"RecNo": 13' in reader.feed(part("Heartbeat"))[0]


def test_an_access_record_a_refusal_a_heartbeat_and_other_codes() -> None:
    record = read(access().encode())
    assert isinstance(record, AccessRecord)
    assert record.occurred_at == datetime(2026, 11, 30, 0, 0, 5, tzinfo=UTC)  # 08:00 Beijing
    assert (record.record_no, record.worker_id, record.method) == (12, "1001", PassMethod.FACE)
    assert record.direction is Direction.IN
    refused = read(access(Status=0, ErrorCode=16, UserID="", Type="Exit").encode())
    assert isinstance(refused, AccessRecord) and refused.worker_id is None
    assert refused.direction is Direction.OUT
    card = read(access(Method=1).encode())
    assert isinstance(card, AccessRecord) and card.method is PassMethod.CARD
    assert isinstance(read(b"Heartbeat"), Beat)
    assert isinstance(read(b"Code=VideoMotion;action=Start;index=0"), Other)


@pytest.mark.parametrize(
    "body",
    [
        "Code=AccessControl;action=Pulse;index=0;data={broken",
        "Code=AccessControl;action=Pulse;index=0;data=[1]",
        access(RecNo="x"),
        access(UTC="soon"),
        access(UTC=10**20),
        access(UserID="../1"),
    ],
)
def test_what_cannot_be_read_is_a_dahua_error(body: str) -> None:
    with pytest.raises(DahuaError):
        read(body.encode())


def test_the_firmware_is_read_from_the_software_version_answer() -> None:
    answer = b"version=2.800.0000000.6.R,build:2022-05-11\r\n"
    assert software_version(answer) == "2.800.0000000.6.R,build:2022-05-11"
    assert software_version(b"Error\r\nBad Request!\r\n") is None
    assert software_version(b"\xff\xfe=") is None
