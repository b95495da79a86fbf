"""Faces through the real servers: enrol over the API, post frames at a gate, read passes.

The photos are the golden ones (tests/golden.py). Everything runs in the stack the session
started: ingest stores the snapshot and publishes the frame, the streams worker matches it
against the project's gallery (which follows the registry topic) and the pass lands in
ClickHouse.
"""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import cv2
import httpx
import numpy as np

from analytics.clickhouse import connect
from infra.settings import Settings
from ingest.client import DeviceClient
from tests.golden import golden_photos

from .helpers import new_device, wait_until
from .people import Site, auth, exit_worker, register_worker


def photo(name: str) -> bytes:
    return golden_photos()[name].read_bytes()


def frame(name: str) -> bytes:
    """The golden photo as a gate would send it: at most 640 pixels wide, JPEG quality 90."""
    image = cv2.imread(str(golden_photos()[name]))
    assert image is not None
    scale = min(1.0, 640 / max(image.shape[:2]))
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    ok, encoded = cv2.imencode(".jpg", cv2.resize(image, size), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return bytes(encoded.tobytes())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def stored_pass(settings: Settings, event_id: str) -> dict[str, Any] | None:
    rows = connect(settings.clickhouse_url).execute(
        "SELECT worker_id, score, verification, snapshot_ref, method FROM gate_passes FINAL"
        " WHERE event_id = %(e)s",
        {"e": event_id},
    )
    if not rows:
        return None
    worker_id, score, verification, snapshot_ref, method = rows[0]
    return {
        "worker_id": worker_id,
        "score": score,
        "verification": verification,
        "snapshot_ref": snapshot_ref,
        "method": method,
    }


class Gate:
    """A capture gate posting frames with increasing serials."""

    def __init__(self, settings: Settings, project: str) -> None:
        self.device = new_device(settings, project)
        self.settings = settings
        self.serial = int(time.time() * 1000) % 10**9

    async def post(
        self, jpeg: bytes, *, at: datetime | None = None, direction: str = "in", **claim: Any
    ) -> httpx.Response:
        """Post a capture taken ``at`` (now by default: a gate's backlog may be older)."""
        self.serial += 1
        base = f"http://{self.settings.bind_host}:{self.settings.ingest_port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            client = DeviceClient(http, self.device.device_id, self.device.secret)
            taken = (at or datetime.now(UTC)).isoformat()
            return await client.post_frame(self.serial, taken, direction, jpeg, **claim)

    async def passes(
        self, jpeg: bytes, *, at: datetime | None = None, direction: str = "in", **claim: Any
    ) -> dict[str, Any]:
        """Post a frame and wait for the pass it becomes."""
        response = await self.post(jpeg, at=at, direction=direction, **claim)
        assert response.status_code == 202, response.text
        event_id = response.json()["event_id"]
        found: dict[str, Any] = {}

        def stored() -> bool:
            found.update(stored_pass(self.settings, event_id) or {})
            return bool(found)

        await wait_until(stored, timeout_s=60)
        return {**found, "event_id": event_id, **response.json()}


async def test_enrol_match_unknown_exit_and_device_claims(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    obama = await register_worker(http, officer, site.project_a)
    biden = await register_worker(http, officer, site.project_a)
    gate = Gate(stack, site.project_a)

    enrolled = await http.put(
        f"/v1/workers/{obama}/face",
        json={"project_id": site.project_a, "photos": [b64(photo("obama.jpg"))]},
        headers=officer,
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["photos"] == 1

    # Another photo of Obama cannot be enrolled as somebody else in the same project.
    lookalike = await http.put(
        f"/v1/workers/{biden}/face",
        json={"project_id": site.project_a, "photos": [b64(photo("obama2.jpg"))]},
        headers=officer,
    )
    assert lookalike.status_code == 409, lookalike.text
    assert f"worker {obama} 韦*宝" in lookalike.json()["reason"]
    assert "************" in lookalike.json()["reason"]  # the ID number, masked

    # The enrolment reaches the streams worker's gallery within a second or so (through the
    # outbox and the registry topic): frames keep coming until one is recognised.
    known: dict[str, Any] = {}

    async def obama_recognised() -> bool:
        known.update(await gate.passes(frame("obama3.jpg")))
        return bool(known["worker_id"] == str(obama))

    await wait_until(obama_recognised, timeout_s=30)
    assert known["method"] == "face"
    assert known["score"] > stack.face_threshold
    unknown = await gate.passes(frame("biden.jpg"))
    assert unknown["worker_id"] is None and unknown["score"] < stack.face_threshold
    assert unknown["snapshot_ref"] == unknown["snapshot_ref"].strip() != ""

    # A new enrolment is recognised without a restart: frames keep coming until one is.
    enrolled_at = time.monotonic()
    response = await http.put(
        f"/v1/workers/{biden}/face",
        json={"project_id": site.project_a, "photos": [b64(photo("biden.jpg"))]},
        headers=officer,
    )
    assert response.status_code == 200, response.text
    recognised: dict[str, Any] = {}

    async def biden_recognised() -> bool:
        recognised.update(await gate.passes(frame("biden.jpg")))
        return bool(recognised["worker_id"] == str(biden))

    await wait_until(biden_recognised, timeout_s=30)
    print(f"first Biden frame recognised {time.monotonic() - enrolled_at:.2f}s after enrolling")

    # A gate that matched on the device: its claim is re-verified against the enrolment.
    confirmed = await gate.passes(frame("obama2.jpg"), claimed_worker_id=str(obama))
    assert confirmed["worker_id"] == str(obama) and confirmed["verification"] == "confirmed"
    mismatch = await gate.passes(frame("biden.jpg"), claimed_worker_id=str(obama))
    assert mismatch["worker_id"] == str(obama) and mismatch["verification"] == "mismatch"

    # An exited worker no longer matches.
    await exit_worker(http, officer, obama, site.project_a)

    async def obama_unknown() -> bool:
        return (await gate.passes(frame("obama3.jpg")))["worker_id"] is None

    await wait_until(obama_unknown, timeout_s=30)


async def test_snapshots_are_served_only_within_the_callers_scope(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    gate = Gate(stack, site.project_a)
    posted = await gate.post(frame("biden.jpg"))
    assert posted.status_code == 202, posted.text
    ref = posted.json()["snapshot_ref"]
    assert ref.startswith(f"{site.project_a}/")
    mine = await http.get(f"/v1/snapshots/{ref}", headers=auth(site.tokens["officer_a"]))
    assert mine.status_code == 200 and mine.content == frame("biden.jpg")
    assert mine.headers["content-type"] == "image/jpeg"
    regulator = await http.get(f"/v1/snapshots/{ref}", headers=auth(site.tokens["regulator_gx"]))
    assert regulator.status_code == 200
    for outsider in ("officer_b", "regulator_bj"):
        refused = await http.get(f"/v1/snapshots/{ref}", headers=auth(site.tokens[outsider]))
        assert refused.status_code == 404, refused.text
    escape = await http.get(
        "/v1/snapshots/..%2F..%2Fsecrets%2Ftoken", headers=auth(site.tokens["officer_a"])
    )
    assert escape.status_code == 404


async def test_enrolment_refuses_bad_photos_with_a_reason_per_photo(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await register_worker(http, officer, site.project_a)
    blank = cv2.imencode(".jpg", np.full((480, 640, 3), 128, np.uint8))[1].tobytes()
    response = await http.put(
        f"/v1/workers/{worker}/face",
        json={"project_id": site.project_a, "photos": [b64(blank), "bm90IGEganBlZw=="]},
        headers=officer,
    )
    assert response.status_code == 422, response.text
    problems = {p["field"]: p for p in response.json()["problems"]}
    assert set(problems) == {"photos.1"}  # the base64 check comes before any model runs
    assert "not a JPEG" in problems["photos.1"]["reason"]
    response = await http.put(
        f"/v1/workers/{worker}/face",
        json={"project_id": site.project_a, "photos": [b64(blank)]},
        headers=officer,
    )
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["reason"].startswith("no_face")
    assert response.json()["problems"][0]["message_zh"] == "第1张照片：未检测到人脸"
    too_many = [b64(photo("obama.jpg"))] * 6
    response = await http.put(
        f"/v1/workers/{worker}/face",
        json={"project_id": site.project_a, "photos": too_many},
        headers=officer,
    )
    assert response.status_code == 422
    outside = await http.put(
        f"/v1/workers/{worker}/face",
        json={"project_id": site.project_b, "photos": [b64(photo("obama.jpg"))]},
        headers=officer,
    )
    assert outside.status_code == 403
    state = await http.get(f"/v1/workers/{worker}/face", headers=officer)
    assert state.status_code == 200 and state.json()["photos"] == 0


async def test_bad_frames_get_a_precise_422_and_are_not_published(
    stack: Settings, site: Site
) -> None:
    gate = Gate(stack, site.project_a)
    not_jpeg = await gate.post(b"GIF89a" + uuid.uuid4().bytes)
    assert not_jpeg.status_code == 422
    assert not_jpeg.json()["problems"][0]["field"] == "image_jpeg"
    broken = await gate.post(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    assert broken.status_code == 422
    assert "cannot be decoded" in broken.json()["problems"][0]["reason"]
