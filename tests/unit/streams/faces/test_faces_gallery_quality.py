"""Gallery matching (threshold, margin, unknown) and the quality gate on golden photos."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from infra.settings import load_settings
from streams.faces.aligner import align
from streams.faces.detector import INPUT_SIZE, DetectedFace, Detector
from streams.faces.embedder import Embedder
from streams.faces.gallery import Gallery
from streams.faces.model_files import SFACE, YUNET
from streams.faces.quality import assess
from tests.golden import golden_photos

MODELS = load_settings({}).model_dir.resolve()


def unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_a_match_needs_the_threshold_and_a_margin_over_the_next_worker() -> None:
    rng = np.random.default_rng(1)
    a, b, c = (unit(rng.normal(size=128)) for _ in range(3))
    gallery = Gallery(threshold=0.5, margin=0.05)
    assert not gallery.match(a).known  # empty gallery: unknown, not an error
    gallery.replace_worker("W-A", np.stack([a]))
    gallery.replace_worker("W-B", np.stack([b]))
    assert gallery.match(a).worker_id == "W-A"
    assert gallery.match(c).worker_id is None  # nobody close enough
    # A twin of A enrolled as another worker: too close to tell apart, so unknown.
    twin = unit(a.astype(np.float64) + rng.normal(scale=0.01, size=128))
    gallery.replace_worker("W-TWIN", np.stack([twin]))
    verdict = gallery.match(a)
    assert verdict.worker_id is None and verdict.score > 0.9 and verdict.runner_up > 0.9
    gallery.remove_worker("W-TWIN")  # e.g. the twin exited the project
    assert gallery.match(a).worker_id == "W-A"


def test_several_photos_of_one_worker_do_not_compete_with_each_other() -> None:
    rng = np.random.default_rng(2)
    a = unit(rng.normal(size=128))
    second_photo = unit(a.astype(np.float64) + rng.normal(scale=0.01, size=128))
    gallery = Gallery(threshold=0.5, margin=0.05)
    gallery.replace_worker("W-A", np.stack([a, second_photo]))
    assert gallery.match(a).worker_id == "W-A" and len(gallery) == 2
    gallery.replace_worker("W-A", np.stack([a]))  # re-enrolment replaces, never piles up
    assert len(gallery) == 1
    with pytest.raises(ValueError, match="unit-length"):
        gallery.replace_worker("W-X", np.ones((1, 128), np.float32))


@pytest.fixture(scope="module")
def pipeline() -> tuple[Detector, Embedder, dict[str, npt.NDArray[np.uint8]]]:
    photos = {}
    for name, path in golden_photos().items():
        image = cv2.imread(str(path))
        assert image is not None
        scale = min(1.0, INPUT_SIZE / max(image.shape[:2]))
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        photos[name] = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    return Detector(MODELS / YUNET.name), Embedder(MODELS / SFACE.name), photos


def test_enrolled_obama_is_recognised_and_biden_is_unknown(
    pipeline: tuple[Detector, Embedder, dict[str, npt.NDArray[np.uint8]]],
) -> None:
    detector, embedder, photos = pipeline

    def vector(name: str) -> npt.NDArray[np.float32]:
        face = detector.detect(photos[name])[0]
        return embedder.embed([align(photos[name], face.landmarks)])

    gallery = Gallery()
    gallery.replace_worker("W-OBAMA", vector("obama.jpg"))
    assert gallery.match(vector("obama2.jpg")[0]).worker_id == "W-OBAMA"
    assert gallery.match(vector("biden.jpg")[0]).worker_id is None


def test_the_quality_gate_passes_good_faces_and_names_what_is_wrong(
    pipeline: tuple[Detector, Embedder, dict[str, npt.NDArray[np.uint8]]],
) -> None:
    detector, _, photos = pipeline
    image = photos["obama.jpg"]
    face = detector.detect(image)[0]
    assert assess(image, face) == []

    blurred = np.asarray(cv2.GaussianBlur(image, (0, 0), 6), np.uint8)
    assert "blurred" in [p.code for p in assess(blurred, face)]
    dark = (image * 0.12).astype(np.uint8)
    assert "too_dark" in [p.code for p in assess(dark, face)]

    shrink = 0.15
    small_image = np.asarray(cv2.resize(image, None, fx=shrink, fy=shrink), np.uint8)
    small_face = DetectedFace(
        tuple(v * shrink for v in face.box),  # type: ignore[arg-type]
        face.landmarks * shrink,
        face.score,
    )
    problems = assess(small_image, small_face)
    assert problems[0].code == "too_small" and problems[0].message_zh == "人脸过小，请靠近摄像头"

    turned = DetectedFace(face.box, face.landmarks.copy(), face.score)
    eye_distance = float(turned.landmarks[1, 0] - turned.landmarks[0, 0])
    turned.landmarks[2, 0] += eye_distance * 0.6  # nose far to one side: head turned
    assert "turned_away" in [p.code for p in assess(image, turned)]
