"""Golden photos for the face tests, from the sdist of ``face-recognition==1.3.0``.

Downloaded once with ``pip download --no-deps --no-binary=:all:`` (never installed) and
kept under ``.sitepulse/golden``.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SDIST = "face-recognition==1.3.0"
PHOTOS = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg")
FOLDER = Path(__file__).resolve().parents[1] / ".sitepulse" / "golden"


def golden_photos() -> dict[str, Path]:
    if all((FOLDER / name).is_file() for name in PHOTOS):
        return {name: FOLDER / name for name in PHOTOS}
    FOLDER.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary=:all:",
                "-q",
                "--disable-pip-version-check",
                "-d",
                folder,
                SDIST,
            ],
            check=True,
            capture_output=True,
        )
        archive = next(Path(folder).glob("face_recognition-*.tar.gz"))
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if name in PHOTOS and "/tests/test_images/" in member.name:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    (FOLDER / name).write_bytes(extracted.read())
    return {name: FOLDER / name for name in PHOTOS}
