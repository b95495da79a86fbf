"""Frame uploads are validated at the edge; snapshots are stored, confined and purged."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from infra.errors import InvalidInputError, NotFoundError
from infra.snapshots import SnapshotStore, project_of, snapshot_ref
from streams.faces.images import ImageDecodeError, decode_jpeg
from streams.frame_records import parse_frame_upload

JPEG = bytes(cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))[1].tobytes())


def upload(**overrides: object) -> bytes:
    body = {
        "serial": 7,
        "occurred_at": "2026-11-21T08:00:00+08:00",
        "direction": "in",
        "image_jpeg": base64.b64encode(JPEG).decode(),
        **overrides,
    }
    return json.dumps(body).encode()


def problems(body: bytes, max_bytes: int = 100_000) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        parse_frame_upload(body, max_image_bytes=max_bytes)
    return {problem.field: problem.reason for problem in caught.value.problems}


def test_a_good_upload_parses_and_bad_ones_name_their_field() -> None:
    parsed, image = parse_frame_upload(upload(), max_image_bytes=100_000)
    assert image == JPEG and parsed.occurred_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    assert decode_jpeg(image).shape == (48, 64, 3)
    assert "is not valid base64" in problems(upload(image_jpeg="@@@"))["image_jpeg"]
    gif = base64.b64encode(b"GIF89a....").decode()
    assert "is not a JPEG" in problems(upload(image_jpeg=gif))["image_jpeg"]
    assert "at most 10 allowed" in problems(upload(), max_bytes=10)["image_jpeg"]
    assert set(problems(upload(direction="sideways", claimed_score=2))) == {
        "direction",
        "claimed_score",
    }
    with pytest.raises(ImageDecodeError, match="cannot be decoded"):
        decode_jpeg(b"\xff\xd8\xff\xe0" + bytes(64))


def test_snapshots_are_saved_read_confined_and_purged(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    old = snapshot_ref("P1", "G1:1", datetime(2026, 8, 1, 23, 0, tzinfo=UTC))
    new = snapshot_ref("P1", "G1:2", datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    assert new == "P1/2026-11-21/G1_2.jpg" and project_of(new) == "P1"
    store.save(old, b"old")
    store.save(new, b"new")
    assert store.read(new) == b"new"
    for hostile in (
        "../etc/passwd",
        "P1/2026-11-21/../../x.jpg",
        "P1/x.jpg",
        ".P/2026-11-21/a.jpg",
    ):
        with pytest.raises(NotFoundError):
            store.read(hostile)
    assert store.purge_before(date(2026, 9, 1)) == 1
    assert store.read(new) == b"new"
    with pytest.raises(NotFoundError, match="retention"):
        store.read(old)
