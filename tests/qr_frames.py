"""Camera frames of QR codes, as a phone filming a screen sends them (shared by the unit
and integration tests of QR sign-in)."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import segno


def camera_frame_of(text: str) -> bytes:
    """A 640x480 JPEG of a screen showing ``text`` as a QR code."""
    png = segno.make(text, error="m").png_data_uri(scale=8, border=4).split(",", 1)[1]
    code = cv2.imdecode(np.frombuffer(base64.b64decode(png), np.uint8), cv2.IMREAD_COLOR)
    assert code is not None
    frame = np.full((480, 640, 3), 90, np.uint8)
    y0, x0 = (480 - code.shape[0]) // 2, (640 - code.shape[1]) // 2
    frame[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]] = code
    return bytes(cv2.imencode(".jpg", frame)[1])
