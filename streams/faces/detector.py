"""YuNet (2023mar) face detection with onnxruntime, decoded as OpenCV's FaceDetectorYN does.

The model takes a fixed 640×640 BGR input. A frame is scaled down to fit if needed and
padded at the right and bottom; boxes and landmarks are mapped back to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streams.faces.sessions import open_session

INPUT_SIZE = 640
STRIDES = (8, 16, 32)


@dataclass(frozen=True)
class DetectedFace:
    box: tuple[float, float, float, float]  # x, y, width, height in frame pixels
    landmarks: npt.NDArray[np.float32]  # 5×2: right eye, left eye, nose, mouth corners
    score: float


class Detector:
    def __init__(
        self,
        model: Path,
        *,
        score_threshold: float = 0.9,
        nms_threshold: float = 0.3,
        threads: int = 1,
        provider: str = "auto",
    ) -> None:
        self._session = open_session(model, threads=threads, provider=provider)
        self.provider = self._session.get_providers()[0]
        self._input = self._session.get_inputs()[0].name
        self._outputs = [o.name for o in self._session.get_outputs()]
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self._grids = {s: self._grid(INPUT_SIZE // s) for s in STRIDES}

    @staticmethod
    def _grid(cells: int) -> npt.NDArray[np.float32]:
        rows, cols = np.divmod(np.arange(cells * cells, dtype=np.float32), cells)
        return np.stack([cols, rows], axis=1)  # (N, 2): x, y of each prior

    @staticmethod
    def letterbox(frame_bgr: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], float]:
        """The 1×3×640×640 input blob and the scale applied to the frame."""
        height, width = frame_bgr.shape[:2]
        scale = min(1.0, INPUT_SIZE / max(height, width))
        if scale < 1.0:
            resized = cv2.resize(
                frame_bgr,
                (round(width * scale), round(height * scale)),
                interpolation=cv2.INTER_AREA,
            )
            frame_bgr = np.asarray(resized, dtype=np.uint8)
        canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
        canvas[: frame_bgr.shape[0], : frame_bgr.shape[1]] = frame_bgr
        return np.ascontiguousarray(canvas.transpose(2, 0, 1)[np.newaxis]), scale

    def detect(self, frame_bgr: npt.NDArray[np.uint8]) -> list[DetectedFace]:
        blob, scale = self.letterbox(frame_bgr)
        named = dict(zip(self._outputs, self._session.run(None, {self._input: blob}), strict=True))
        boxes, landmarks, scores = [], [], []
        for stride in STRIDES:
            cls = named[f"cls_{stride}"][0, :, 0]
            obj = named[f"obj_{stride}"][0, :, 0]
            score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
            keep = score >= self.score_threshold
            if not keep.any():
                continue
            grid = self._grids[stride][keep]
            bbox = named[f"bbox_{stride}"][0][keep]
            kps = named[f"kps_{stride}"][0][keep].reshape(-1, 5, 2)
            centre = (grid + bbox[:, :2]) * stride
            size = np.exp(bbox[:, 2:4]) * stride
            boxes.append(np.concatenate([centre - size / 2, size], axis=1))
            landmarks.append((kps + grid[:, np.newaxis, :]) * stride)
            scores.append(score[keep])
        if not boxes:
            return []
        all_boxes = np.concatenate(boxes) / scale
        all_marks = np.concatenate(landmarks) / scale
        all_scores = np.concatenate(scores)
        kept = cv2.dnn.NMSBoxes(
            all_boxes.tolist(), all_scores.tolist(), self.score_threshold, self.nms_threshold
        )
        faces = [
            DetectedFace(
                tuple(float(v) for v in all_boxes[i]),  # type: ignore[arg-type]
                all_marks[i].astype(np.float32),
                float(all_scores[i]),
            )
            for i in np.asarray(kept).reshape(-1)
        ]
        return sorted(faces, key=lambda face: face.score, reverse=True)
