"""HTTPv2 uploads: the record (gzip or not) with its capture, strangers as nobody's pass,
refusals as no pass; what cannot be read is an HttpV2Error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.httpv2_client import upload_body
from ingest.vendors import httpv2
from streams.records import Direction, PassMethod

WHEN = datetime(2026, 11, 30, 0, 5, tzinfo=UTC)


def read(record: dict[str, object], photo: bytes | None = None, **options: bool) -> object:
    serial, parts = httpv2.serial_of_upload(*upload_body("FC-1", record, photo, **options))
    assert serial == "FC-1"
    return httpv2.parse_upload(serial, parts).record


def face(**more: object) -> dict[str, object]:
    return {"RecordID": 9, "RecordType": 3, "RecordDate": int(WHEN.timestamp()),
            "UserID": "1001", "IsEntry": 1} | more  # fmt: skip


def test_a_face_record_compressed_or_not_with_its_capture() -> None:
    for compress in (False, True):
        found = read(face(), b"\xff\xd8jpeg", compress=compress)
        assert isinstance(found, httpv2.IdentifyRecord)
        assert (found.record_id, found.worker_id, found.method) == (9, "1001", PassMethod.FACE)
        assert found.occurred_at == WHEN and found.direction is Direction.IN
        assert found.photo == b"\xff\xd8jpeg"


def test_strangers_cards_refusals_and_a_missing_direction() -> None:
    stranger = read(face(RecordType=19, UserID=""))
    assert isinstance(stranger, httpv2.IdentifyRecord) and stranger.worker_id is None
    card = read(face(RecordType=1, IsEntry=0))
    assert isinstance(card, httpv2.IdentifyRecord) and card.method is PassMethod.CARD
    assert card.direction is Direction.OUT
    assert read(face(RecordType=16)) == httpv2.NotAPass(16)
    undirected = read({k: v for k, v in face().items() if k != "IsEntry"})
    assert isinstance(undirected, httpv2.IdentifyRecord) and undirected.direction is None


def test_keepalives() -> None:
    assert httpv2.keepalive_serial(json.dumps({"SN": "FC-1 "}).encode()) == "FC-1"
    for body in (b"{}", b"[]", b"nope", b'{"SN": "../x"}'):
        with pytest.raises(httpv2.HttpV2Error):
            httpv2.keepalive_serial(body)


@pytest.mark.parametrize(
    "record",
    [
        {"RecordType": "x"},
        face(RecordID=-1),
        face(RecordDate="soon"),
        face(RecordDate=10**20),
        face(UserID="../1"),
    ],
)
def test_what_cannot_be_read_is_an_httpv2_error(record: dict[str, object]) -> None:
    with pytest.raises(httpv2.HttpV2Error):
        read(record)


def test_bodies_without_a_serial_or_a_record() -> None:
    with pytest.raises(httpv2.HttpV2Error):
        httpv2.serial_of_upload("application/json", b"{}")
    content_type, body = upload_body("FC-1", face(), None)
    with pytest.raises(httpv2.HttpV2Error):
        httpv2.serial_of_upload(content_type, body.replace(b'name="SN"', b'name="XX"'))
    serial, parts = httpv2.serial_of_upload(
        content_type, body.replace(b'name="RecordDetail"', b'name="Other"')
    )
    with pytest.raises(httpv2.HttpV2Error):
        httpv2.parse_upload(serial, parts)
