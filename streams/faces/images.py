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


def terminal_photo(data: bytes, *, long_side: int = 480, quality: int = 85) -> bytes:
    """The picture a face terminal enrols from: at most ``long_side`` pixels on its long side,
    re-encoded as a baseline JPEG (terminals refuse large or progressive ones; at this size
    it stays well under their usual 200 KB)."""
    image = decode_jpeg(data)
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    encoded, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not encoded:
        raise ImageDecodeError("the image cannot be encoded as a JPEG")
    return bytes(buffer)
