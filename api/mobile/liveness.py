"""A weak liveness check for phone selfies (pure): two frames from the camera a moment
apart must differ, as a live picture does (movement, sensor noise); the same still image
sent twice does not. It stops the replay of a saved photo, not a photo held up to the
camera: that needs a presentation-attack model, which the platform does not have."""

from __future__ import annotations

import cv2
import numpy as np


def frames_differ(first: bytes, second: bytes, *, threshold: float = 0.4) -> bool:
    """Whether two JPEG frames differ by more than ``threshold`` grey levels on average
    (compared small, so JPEG re-encoding of one still image does not count)."""
    a, b = _small_grey(first), _small_grey(second)
    if a is None or b is None:
        return False
    return float(np.mean(np.abs(a - b))) > threshold


def _small_grey(jpeg: bytes) -> np.ndarray | None:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    return cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
