"""Decoding uploaded images (kept apart so ingest can check one without loading models)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from infra.errors import SitePulseError

MAX_SIDE = 4096


class ImageDecodeError(SitePulseError):
    """The bytes are not an image OpenCV can decode."""


def decode_jpeg(data: bytes) -> npt.NDArray[np.uint8]:
    """The BGR image in ``data`` (JPEG, or any format OpenCV reads); raises on garbage."""
    if not data:
        raise ImageDecodeError("the image is empty")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageDecodeError("the image cannot be decoded (expected a JPEG)")
    if max(image.shape[:2]) > MAX_SIDE:
        raise ImageDecodeError(f"the image is larger than {MAX_SIDE} pixels on a side")
    return np.asarray(image, np.uint8)
