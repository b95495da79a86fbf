"""Golden photos for the face tests, taken from two PyPI archives (never installed):

- ``obama.jpg``, ``obama2.jpg``, ``obama3.jpg``, ``biden.jpg`` from the sdist of
  ``face-recognition==1.3.0`` (its tests/test_images);
- ``astronaut.png`` from the wheel of ``scikit-image==0.26.0``: the file behind
  ``skimage.data.astronaut()`` (Eileen Collins).

Each archive is downloaded once with ``pip download --no-deps`` and the photos are kept
under ``.sitepulse/golden``.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

SDIST = "face-recognition==1.3.0"
SDIST_PHOTOS = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg")
SKIMAGE_WHEEL = "scikit-image==0.26.0"
ASTRONAUT = "astronaut.png"
PHOTOS = (*SDIST_PHOTOS, ASTRONAUT)
FOLDER = Path(__file__).resolve().parents[1] / ".sitepulse" / "golden"


def _download(requirement: str, folder: str, *, binary: bool) -> None:
    kind = "--only-binary=:all:" if binary else "--no-binary=:all:"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            kind,
            "-q",
            "--disable-pip-version-check",
            "-d",
            folder,
            requirement,
        ],
        check=True,
        capture_output=True,
    )


def _fetch_sdist_photos() -> None:
    with tempfile.TemporaryDirectory() as folder:
        _download(SDIST, folder, binary=False)
        archive = next(Path(folder).glob("face_recognition-*.tar.gz"))
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if name in SDIST_PHOTOS and "/tests/test_images/" in member.name:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    (FOLDER / name).write_bytes(extracted.read())


def _fetch_astronaut() -> None:
    with tempfile.TemporaryDirectory() as folder:
        _download(SKIMAGE_WHEEL, folder, binary=True)
        wheel = next(Path(folder).glob("scikit_image-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            (FOLDER / ASTRONAUT).write_bytes(archive.read(f"skimage/data/{ASTRONAUT}"))


def golden_photos() -> dict[str, Path]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    if not all((FOLDER / name).is_file() for name in SDIST_PHOTOS):
        _fetch_sdist_photos()
    if not (FOLDER / ASTRONAUT).is_file():
        _fetch_astronaut()
    return {name: FOLDER / name for name in PHOTOS}
