"""Schemas of capture-gate frames: the device's upload and the ``gate.frames`` value.

A frame carries one JPEG. A gate that matched the face itself says whom it claims
(``claimed_worker_id``); SitePulse may re-verify that claim against the enrolment.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from pydantic import Field, ValidationError, field_validator

from infra.errors import FieldProblem, InvalidInputError
from streams.records import Direction, Identifier, StrictModel, aware_utc, problems_from

JPEG_MAGIC = b"\xff\xd8\xff"


def decode_base64_image(value: str, *, max_bytes: int) -> bytes:
    """The bytes of a base64 JPEG, with the reason when they are not one."""
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if not data:
        raise ValueError("is empty")
    if len(data) > max_bytes:
        raise ValueError(f"is {len(data)} bytes, at most {max_bytes} allowed")
    if not data.startswith(JPEG_MAGIC):
        raise ValueError("is not a JPEG (it must start with FF D8 FF)")
    return data


class FrameUpload(StrictModel):
    """The body of ``POST /v1/frames``: one capture from one authenticated gate."""

    serial: Annotated[int, Field(ge=0, le=2**63 - 1)]
    occurred_at: datetime
    direction: Direction
    image_jpeg: Annotated[str, Field(min_length=1, description="base64 of the JPEG")]
    claimed_worker_id: Identifier | None = None
    claimed_score: Annotated[float, Field(ge=0.0, le=1.0)] | None = None

    _utc = field_validator("occurred_at")(aware_utc)


class FrameEvent(StrictModel):
    """The value of ``gate.frames`` (key: ``project_id``)."""

    event_id: Identifier
    device_id: Identifier
    project_id: Identifier
    direction: Direction
    occurred_at: datetime
    received_at: datetime
    snapshot_ref: str
    image_jpeg: str  # base64, checked at ingest
    claimed_worker_id: Identifier | None = None
    claimed_score: float | None = None

    _utc = field_validator("occurred_at", "received_at")(aware_utc)

    def image_bytes(self) -> bytes:
        return base64.b64decode(self.image_jpeg)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def parse_frame_upload(body: bytes, *, max_image_bytes: int) -> tuple[FrameUpload, bytes]:
    """The validated upload and its JPEG bytes, raising :class:`InvalidInputError`."""
    try:
        upload = FrameUpload.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None
    try:
        image = decode_base64_image(upload.image_jpeg, max_bytes=max_image_bytes)
    except ValueError as exc:
        raise InvalidInputError(
            [FieldProblem("image_jpeg", f"image_jpeg {exc}", "照片格式不正确或过大")]
        ) from None
    return upload, image


def parse_frame_event(value: bytes) -> FrameEvent:
    try:
        return FrameEvent.model_validate_json(value)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None
