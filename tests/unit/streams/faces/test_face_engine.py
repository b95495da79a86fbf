"""FaceEngine on the golden photos: one good face, several faces, no face, a tiny face."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from infra.settings import load_settings
from streams.faces.pipeline import FaceEngine
from tests.golden import golden_photos

ENGINE = FaceEngine(load_settings({}).model_dir.resolve())


def image(name: str, width: int = 480) -> np.ndarray:
    photo = cv2.imread(str(golden_photos()[name]))
    assert photo is not None
    height = round(photo.shape[0] * width / photo.shape[1])
    return np.asarray(cv2.resize(photo, (width, height)), np.uint8)


def test_one_good_face_gives_a_unit_embedding() -> None:
    reading = ENGINE.read(image("obama.jpg"), single_face=True)
    assert reading.usable and reading.problems == [] and reading.faces_found == 1
    assert reading.embedding is not None
    assert float(np.linalg.norm(reading.embedding)) == pytest.approx(1.0, abs=1e-4)


def test_enrolment_refuses_two_faces_but_a_gate_takes_the_largest() -> None:
    left, right = image("obama.jpg", 480), image("biden.jpg", 320)
    canvas = np.zeros((max(left.shape[0], right.shape[0]), 800, 3), np.uint8)
    canvas[: left.shape[0], :480] = left
    canvas[: right.shape[0], 480:] = right
    refused = ENGINE.read(canvas, single_face=True)
    assert not refused.usable and [p.code for p in refused.problems] == ["several_faces"]
    gate = ENGINE.read(canvas)
    alone = ENGINE.read(left)
    assert gate.usable and gate.embedding is not None and alone.embedding is not None
    assert float(gate.embedding @ alone.embedding) > 0.9  # the larger face: Obama's


def test_no_face_and_a_tiny_face_say_why() -> None:
    blank = ENGINE.read(np.full((480, 640, 3), 200, np.uint8))
    assert [p.code for p in blank.problems] == ["no_face"]
    canvas = np.full((480, 640, 3), 127, np.uint8)
    small = image("obama.jpg", 120)  # a whole photo 120 pixels wide: the face is ~35 pixels
    canvas[: small.shape[0], :120] = small
    tiny = ENGINE.read(canvas)
    assert not tiny.usable and tiny.face is not None
    assert [p.code for p in tiny.problems] == ["too_small"]
    assert tiny.problems[0].message_zh == "人脸过小，请靠近摄像头"
