"""The live face check of the worker's app: two camera frames a moment apart that differ
as a live picture does, each the worker's own enrolled face. Mobile clock-in, safety
training and face login all ask for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from psycopg import AsyncConnection
from pydantic import Field

from api.dependencies import AppServices
from api.mobile.clock_in import face_problem
from api.mobile.liveness import frames_differ
from api.stores.enrolment import decode_photos, selfie_score
from infra.errors import FieldProblem, InvalidInputError

LiveFrames = Annotated[
    list[str],
    Field(min_length=2, max_length=2, description="two base64 JPEG camera frames, a moment apart"),
]


@dataclass(frozen=True)
class LiveFace:
    score: float  # the lower of the two frames' match scores
    frame: bytes  # the first frame, kept as the evidence (snapshot)


async def check_live_face(
    conn: AsyncConnection[Any], app: AppServices, worker_id: int, jpegs: list[str]
) -> LiveFace:
    """The worker's live face, or :class:`InvalidInputError` saying why not."""
    limit = app.settings.enrolment_photo_max_bytes
    frames = decode_photos(jpegs, max_bytes=limit)
    if not frames_differ(frames[0], frames[1]):
        raise InvalidInputError(
            [
                FieldProblem(
                    "selfie_jpegs",
                    "the two frames are the same picture: no live face",
                    "未检测到活体人脸：请正对摄像头，由本人现场拍摄",
                )
            ]
        )
    scores = [await selfie_score(conn, app.faces, worker_id, s, max_bytes=limit) for s in jpegs]
    mismatch = face_problem(min(scores), app.settings.face_threshold)
    if mismatch is not None:
        raise InvalidInputError([mismatch])
    return LiveFace(min(scores), frames[0])
