"""Detector, aligner and embedder on the golden photos, checked against OpenCV's own."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from infra.settings import load_settings
from streams.faces.aligner import align
from streams.faces.detector import INPUT_SIZE, DetectedFace, Detector
from streams.faces.embedder import Embedder
from streams.faces.model_files import SFACE, YUNET
from tests.golden import golden_photos

MODELS = load_settings({}).model_dir.resolve()
SFACE_COSINE_THRESHOLD = 0.363  # OpenCV's published threshold for SFace


@pytest.fixture(scope="module")
def photos() -> dict[str, npt.NDArray[np.uint8]]:
    loaded = {}
    for name, path in golden_photos().items():
        image = cv2.imread(str(path))
        assert image is not None, path
        scale = min(1.0, INPUT_SIZE / max(image.shape[:2]))
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        loaded[name] = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    return loaded


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(MODELS / YUNET.name)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(MODELS / SFACE.name)


def only_face(detector: Detector, image: npt.NDArray[np.uint8]) -> DetectedFace:
    faces = detector.detect(image)
    assert len(faces) == 1, [f.score for f in faces]
    return faces[0]


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    h = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)


@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "obama2.jpg", "astronaut.png"])
def test_detections_match_opencv_face_detector_yn(
    name: str, photos: dict[str, npt.NDArray[np.uint8]], detector: Detector
) -> None:
    image = photos[name]
    ours = only_face(detector, image)
    reference = cv2.FaceDetectorYN.create(
        str(MODELS / YUNET.name), "", (INPUT_SIZE, INPUT_SIZE), 0.9, 0.3, 5000
    )
    padded = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
    padded[: image.shape[0], : image.shape[1]] = image
    _, found = reference.detect(padded)
    assert found is not None and len(found) == 1
    theirs = found[0]
    assert iou(ours.box, tuple(theirs[:4])) > 0.95
    assert np.abs(ours.landmarks - theirs[4:14].reshape(5, 2)).max() < 2.0
    assert abs(ours.score - theirs[14]) < 0.01


def test_the_same_person_matches_and_different_people_do_not(
    photos: dict[str, npt.NDArray[np.uint8]], detector: Detector, embedder: Embedder
) -> None:
    vectors = {
        name: embedder.embed([align(image, only_face(detector, image).landmarks)])[0]
        for name, image in photos.items()
    }
    assert float(vectors["obama.jpg"] @ vectors["obama2.jpg"]) > SFACE_COSINE_THRESHOLD
    assert float(vectors["obama.jpg"] @ vectors["obama3.jpg"]) > SFACE_COSINE_THRESHOLD
    for obama in ("obama.jpg", "obama2.jpg", "obama3.jpg"):
        assert float(vectors[obama] @ vectors["biden.jpg"]) < SFACE_COSINE_THRESHOLD
    for other in ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"):
        assert float(vectors["astronaut.png"] @ vectors[other]) < SFACE_COSINE_THRESHOLD
    # The astronaut mirrored and at half size is still the same person.
    astronaut = photos["astronaut.png"]
    half = cv2.resize(cv2.flip(astronaut, 1), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    mirrored = np.asarray(half, np.uint8)
    again = embedder.embed([align(mirrored, only_face(detector, mirrored).landmarks)])[0]
    assert float(vectors["astronaut.png"] @ again) > SFACE_COSINE_THRESHOLD


def test_our_alignment_agrees_with_opencv_align_crop(
    photos: dict[str, npt.NDArray[np.uint8]], detector: Detector, embedder: Embedder
) -> None:
    image = photos["obama.jpg"]
    face = only_face(detector, image)
    recognizer = cv2.FaceRecognizerSF.create(str(MODELS / SFACE.name), "")
    row = np.array([*face.box, *face.landmarks.reshape(-1), face.score], np.float32)
    theirs = np.asarray(recognizer.alignCrop(image, row), np.uint8)
    a, b = embedder.embed([align(image, face.landmarks), theirs])
    assert float(a @ b) > 0.98


@pytest.mark.parametrize("kind", ["blank", "noise"])
def test_no_face_in_blank_or_noise(kind: str, detector: Detector) -> None:
    rng = np.random.default_rng(3)
    image = (
        np.full((480, 640, 3), 128, np.uint8)
        if kind == "blank"
        else rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    )
    assert detector.detect(image) == []
