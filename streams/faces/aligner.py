"""5-point similarity alignment to the 112×112 template SFace was trained on."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from streams.faces.embedder import FACE_SIZE

# Right eye, left eye, nose tip, right and left mouth corners (the ArcFace template).
TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)


def align(
    frame_bgr: npt.NDArray[np.uint8], landmarks: npt.NDArray[np.float32]
) -> npt.NDArray[np.uint8]:
    """The face warped so its five points land on the template."""
    matrix, _ = cv2.estimateAffinePartial2D(
        landmarks.astype(np.float32), TEMPLATE, method=cv2.LMEDS
    )
    if matrix is None:
        raise ValueError("landmarks are degenerate: no similarity transform fits them")
    warped = cv2.warpAffine(frame_bgr, matrix, (FACE_SIZE, FACE_SIZE))
    return np.asarray(warped, dtype=np.uint8)
