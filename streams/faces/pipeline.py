"""Frame in, face reading out: decode, detect, quality gate, align, embed.

:class:`FaceEngine` loads both models lazily under a lock and warms them up, so the first
real frame does not pay for it; services call :meth:`FaceEngine.ready` before they report
healthy. Everything here is synchronous and CPU-bound: async callers run it in a thread
(onnxruntime releases the GIL).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streams.faces.aligner import align
from streams.faces.detector import DetectedFace, Detector
from streams.faces.embedder import Embedder
from streams.faces.images import decode_jpeg
from streams.faces.model_files import SFACE, YUNET, verify
from streams.faces.quality import QualityProblem, QualityRules, assess

NO_FACE = QualityProblem("no_face", "no face found in the image", "未检测到人脸")
SEVERAL_FACES = QualityProblem(
    "several_faces", "more than one face in the image", "图像中有多张人脸"
)
DEFAULT_RULES = QualityRules()


@dataclass(frozen=True)
class FaceReading:
    """What one image says: the chosen face and its embedding, or why there is none."""

    face: DetectedFace | None
    embedding: npt.NDArray[np.float32] | None
    problems: list[QualityProblem] = field(default_factory=list)
    faces_found: int = 0

    @property
    def usable(self) -> bool:
        return self.embedding is not None


class FaceEngine:
    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 1,
        rules: QualityRules = DEFAULT_RULES,
        provider: str = "auto",
    ) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._provider = provider
        self._rules = rules
        self._lock = threading.Lock()
        self._models: tuple[Detector, Embedder] | None = None

    def ready(self) -> None:
        """Load and warm up both models (once; later calls return at once)."""
        self._loaded()

    def _loaded(self) -> tuple[Detector, Embedder]:
        if self._models is None:
            with self._lock:
                if self._models is None:
                    paths = verify(self._model_dir)
                    detector = Detector(
                        paths[YUNET.name], threads=self._threads, provider=self._provider
                    )
                    embedder = Embedder(
                        paths[SFACE.name], threads=self._threads, provider=self._provider
                    )
                    detector.detect(np.zeros((480, 640, 3), np.uint8))  # warm-up runs
                    embedder.embed([np.zeros((112, 112, 3), np.uint8)])
                    self._models = (detector, embedder)
        return self._models

    @property
    def provider(self) -> str | None:
        """The execution provider the models run on; None until they are loaded."""
        return None if self._models is None else self._models[0].provider

    def read(self, image: npt.NDArray[np.uint8], *, single_face: bool = False) -> FaceReading:
        """The most prominent face of ``image`` with its embedding if it passes the gate.

        ``single_face`` (enrolment) refuses an image with more than one face; a gate frame
        takes the largest face, the person at the turnstile.
        """
        detector, embedder = self._loaded()
        faces = detector.detect(image)
        if not faces:
            return FaceReading(None, None, [NO_FACE])
        if single_face and len(faces) > 1:
            return FaceReading(None, None, [SEVERAL_FACES], faces_found=len(faces))
        face = max(faces, key=lambda found: found.box[2] * found.box[3])
        problems = assess(image, face, self._rules)
        if problems:
            return FaceReading(face, None, problems, faces_found=len(faces))
        embedding = embedder.embed([align(image, face.landmarks)])[0]
        return FaceReading(face, embedding, [], faces_found=len(faces))

    def read_jpeg(self, data: bytes, *, single_face: bool = False) -> FaceReading:
        return self.read(decode_jpeg(data), single_face=single_face)
