"""Hikvision ISAPI pushes: the multipart JSON event with its picture (part names vary by
firmware), the XML variant, heartbeats, strangers; anything else is a HikvisionError."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ingest.vendors.hikvision import (
    AccessEvent,
    Heartbeat,
    HikvisionError,
    Ignored,
    parse_push,
)
from streams.records import Direction, PassMethod

SHANGHAI = ZoneInfo("Asia/Shanghai")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40 + b"\xff\xd9"


def event(minor: int = 75, **access: object) -> dict[str, object]:
    return {
        "ipAddress": "192.168.1.64",
        "dateTime": "2026-11-30T08:01:02+08:00",
        "eventType": "AccessControllerEvent",
        "AccessControllerEvent": {
            "majorEventType": 5,
            "subEventType": minor,
            "employeeNoString": "1001",
            "serialNo": 4321,
            "attendanceStatus": "checkIn",
            **access,
        },
    }


def multipart(
    fields: dict[str, object], *, name: str = "event_log", boundary: str = "MIME_boundary"
) -> tuple[str, bytes]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            "Content-Type: application/json\r\n\r\n"
            + json.dumps(fields, indent=4)
            + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="Picture";'
            ' filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + JPEG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def read(content_type: str, body: bytes) -> object:
    return parse_push(content_type, body, zone=SHANGHAI, default=Direction.UNKNOWN)


def test_a_face_pass_with_its_picture_whatever_the_part_is_called() -> None:
    for name in ("event_log", "AccessControllerEvent"):
        found = read(*multipart(event(), name=name, boundary="----hik7"))
        assert isinstance(found, AccessEvent)
        assert (found.serial, found.worker_id, found.method) == (4321, "1001", PassMethod.FACE)
        assert found.direction is Direction.IN and found.picture == JPEG
        assert found.occurred_at == datetime(2026, 11, 30, 0, 1, 2, tzinfo=UTC)


def test_a_stranger_is_a_pass_of_nobody_and_a_card_pass_is_a_card() -> None:
    stranger = read(*multipart(event(76, employeeNoString="")))
    assert isinstance(stranger, AccessEvent) and stranger.worker_id is None
    assert stranger.picture == JPEG and stranger.method is PassMethod.FACE
    card = read("application/json", json.dumps(event(1, attendanceStatus="checkOut")).encode())
    assert isinstance(card, AccessEvent) and card.method is PassMethod.CARD
    assert card.direction is Direction.OUT and card.picture is None


def test_the_xml_variant_and_a_local_time_without_zone() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">'
        "<dateTime>2026-11-30T08:01:02</dateTime><eventType>AccessControllerEvent</eventType>"
        "<AccessControllerEvent><majorEventType>5</majorEventType><subEventType>75"
        "</subEventType><employeeNoString>1001</employeeNoString><serialNo>77</serialNo>"
        "</AccessControllerEvent></EventNotificationAlert>"
    )
    found = read("application/xml", xml.encode())
    assert isinstance(found, AccessEvent) and found.serial == 77
    assert found.occurred_at == datetime(2026, 11, 30, 0, 1, 2, tzinfo=UTC)
    assert found.direction is Direction.UNKNOWN


def test_heartbeats_and_other_events() -> None:
    beat = read(
        "application/json", b'{"eventType": "heartBeat", "dateTime": "2026-11-30T08:00:00+08:00"}'
    )
    assert isinstance(beat, Heartbeat)
    door = read("application/json", json.dumps(event(21)).encode())
    assert isinstance(door, Ignored)
    assert isinstance(read("application/json", b'{"eventType": "videoloss"}'), Ignored)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", json.dumps(event(serialNo="x")).encode()),
        ("application/json", json.dumps(event(employeeNoString="../../x")).encode()),
        ("application/json", json.dumps({**event(), "dateTime": "yesterday"}).encode()),
        ("multipart/form-data; boundary=nope", b"--other\r\n\r\n{}\r\n--other--"),
        ("application/xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'),
        ("application/xml", b"<unclosed>"),
        ("application/json", b"\xff\xfe\x00"),
    ],
)
def test_what_cannot_be_read_is_a_hikvision_error(content_type: str, body: bytes) -> None:
    with pytest.raises(HikvisionError):
        read(content_type, body)
