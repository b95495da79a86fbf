"""The live face check of the worker's app: two camera frames a moment apart that differ
as a live picture does, each showing one clear face, each the worker's own enrolled face.
Mobile clock-in, safety training and face login all ask for it. The frames are judged
before the account is looked at, so a refusal says nothing about who is registered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from pydantic import Field

from api.dependencies import AppServices
from api.mobile.clock_in import face_problem
from api.mobile.liveness import frames_differ
from api.stores.enrolment import decode_photos, enrolment_score, selfie_embedding
from infra.errors import FieldProblem, InvalidInputError

LiveFrames = Annotated[
    list[str],
    Field(min_length=2, max_length=2, description="two base64 JPEG camera frames, a moment apart"),
]


@dataclass(frozen=True)
class LivePicture:
    embeddings: list[npt.NDArray[np.float32]]  # one per frame
    frame: bytes  # the first frame, kept as the evidence (snapshot)


@dataclass(frozen=True)
class LiveFace:
    score: float  # the lower of the two frames' match scores
    frame: bytes


async def live_picture(app: AppServices, jpegs: list[str]) -> LivePicture:
    """Two frames of one clear, live face, or :class:`InvalidInputError` saying why not."""
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
    embeddings = [await selfie_embedding(app.faces, s, max_bytes=limit) for s in jpegs]
    return LivePicture(embeddings, frames[0])


async def match_worker(
    conn: AsyncConnection[Any], app: AppServices, worker_id: int, picture: LivePicture
) -> LiveFace:
    """The live picture as the worker's own enrolled face, or the mismatch refused."""
    score = min([await enrolment_score(conn, worker_id, e) for e in picture.embeddings])
    mismatch = face_problem(score, app.settings.face_threshold)
    if mismatch is not None:
        raise InvalidInputError([mismatch])
    return LiveFace(score, picture.frame)


async def check_live_face(
    conn: AsyncConnection[Any], app: AppServices, worker_id: int, jpegs: list[str]
) -> LiveFace:
    """The worker's live face, or :class:`InvalidInputError` saying why not."""
    return await match_worker(conn, app, worker_id, await live_picture(app, jpegs))
