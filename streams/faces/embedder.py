"""SFace embeddings of aligned 112×112 faces, as ``cv2.FaceRecognizerSF`` computes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from streams.faces.sessions import open_session

FACE_SIZE = 112


class Embedder:
    """128-d, L2-normalised embeddings; the model takes one face per run."""

    def __init__(self, model: Path, *, threads: int = 1, provider: str = "auto") -> None:
        self._session = open_session(model, threads=threads, provider=provider)
        self.provider = self._session.get_providers()[0]
        self._input = self._session.get_inputs()[0].name

    @staticmethod
    def to_blob(face_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """BGR uint8 HxWx3 → RGB float32 1x3x112x112, unscaled (OpenCV's blobFromImage)."""
        if face_bgr.shape != (FACE_SIZE, FACE_SIZE, 3):
            raise ValueError(f"an aligned face is {FACE_SIZE}x{FACE_SIZE}x3, got {face_bgr.shape}")
        rgb = face_bgr[:, :, ::-1].astype(np.float32)
        return np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis])

    def raw(self, face_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """The model's own 128 numbers, not normalised (what FaceRecognizerSF.feature returns)."""
        output = self._session.run(None, {self._input: self.to_blob(face_bgr)})[0]
        return np.asarray(output, dtype=np.float32).reshape(128)

    def embed(self, faces_bgr: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """One unit-length row per face, ready for cosine matching by dot product."""
        rows = (
            np.stack([self.raw(face) for face in faces_bgr])
            if faces_bgr
            else np.zeros((0, 128), np.float32)
        )
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit
