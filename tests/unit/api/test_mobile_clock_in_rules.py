"""Where a phone stands against a project's fence, and what refuses a clock-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from api.mobile.clock_in import Attempt, face_problem, place_problems
from api.mobile.geofence import Fence, distance_m, inside_polygon
from api.mobile.liveness import frames_differ

SITE = (22.8170, 108.3665)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SQUARE = ((22.8160, 108.3655), (22.8160, 108.3675), (22.8180, 108.3675), (22.8180, 108.3655))


def test_distances_and_shapes() -> None:
    # A thousandth of a degree of latitude is about 111 m anywhere.
    assert 110 < distance_m(SITE, (SITE[0] + 0.001, SITE[1])) < 112
    assert distance_m(SITE, SITE) == 0
    circle = Fence(center=SITE, radius_m=100)
    assert circle.contains((SITE[0] + 0.0008, SITE[1])) and not circle.contains((22.8180, SITE[1]))
    assert inside_polygon(SITE, SQUARE) and not inside_polygon((22.8185, 108.3665), SQUARE)
    assert not inside_polygon((22.8170, 108.3680), SQUARE)
    assert Fence(polygon=SQUARE).distance_from(SITE) < 1


def test_each_reason_a_clock_in_is_refused() -> None:
    fence = Fence(center=SITE, radius_m=200)

    def fields(attempt: Attempt, last: datetime | None = None) -> list[str]:
        found = place_problems(attempt, fence, max_accuracy_m=50, now=NOW, last=last)
        return [problem.field for problem in found]

    assert fields(Attempt(SITE, 10, NOW)) == []
    assert fields(Attempt((22.8270, SITE[1]), 10, NOW)) == ["latitude"]
    assert fields(Attempt(SITE, 80, NOW)) == ["accuracy_m"]  # where it is, not known enough
    assert fields(Attempt(SITE, 10, NOW - timedelta(minutes=6))) == ["captured_at"]
    assert fields(Attempt(SITE, 10, NOW), last=NOW - timedelta(seconds=30)) == ["project_id"]
    assert fields(Attempt(SITE, 10, NOW), last=NOW - timedelta(seconds=61)) == []
    assert face_problem(0.2, 0.363) is not None and face_problem(0.5, 0.363) is None


def test_two_frames_of_a_live_camera_differ_and_one_still_sent_twice_does_not() -> None:
    noise = np.random.default_rng(7)
    scene = noise.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    moved = np.roll(scene, 6, axis=1)

    def jpeg(image: np.ndarray) -> bytes:
        return bytes(cv2.imencode(".jpg", image)[1])

    assert frames_differ(jpeg(scene), jpeg(moved))
    assert not frames_differ(jpeg(scene), jpeg(scene))
    assert not frames_differ(jpeg(scene), b"not a jpeg")
