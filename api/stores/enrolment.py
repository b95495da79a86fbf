"""Face enrolment: 1 to 5 photos of a worker, each with exactly one good face.

Embeddings are stored in PostgreSQL and published as an ``enrolment`` registry change,
which the streams workers' galleries follow; a small copy of the first photo is kept in
``face_photos`` for the project's face terminals to enrol from. A face that matches
another worker already enrolled in the same project is refused, naming that worker
masked: one person, one identity per project.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.identity import mask_id_number, mask_name
from api.stores.audit import audit
from api.stores.outbox import record_change
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from streams.faces.gallery import DIMENSIONS, MAX_PHOTOS
from streams.faces.images import ImageDecodeError, terminal_photo
from streams.faces.pipeline import FaceEngine, FaceReading
from streams.faces.rosters import encode_embedding
from streams.frame_records import decode_base64_image

MODEL_NAME = "sface_2021dec"


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(min_length=1, max_length=64)
    photos: Annotated[
        list[str], Field(min_length=1, max_length=MAX_PHOTOS, description="base64 JPEGs")
    ]


class EnrolmentView(BaseModel):
    worker_id: int
    photos: int
    model: str | None
    enrolled_at: datetime | None


def _photo_problem(index: int, reason: str, zh: str) -> FieldProblem:
    return FieldProblem(f"photos.{index}", reason, f"第{index + 1}张照片：{zh}")


def decode_photos(photos: list[str], *, max_bytes: int) -> list[bytes]:
    """The JPEG bytes of every photo, or every problem at once."""
    images, problems = [], []
    for index, text in enumerate(photos):
        try:
            images.append(decode_base64_image(text, max_bytes=max_bytes))
        except ValueError as exc:
            problems.append(_photo_problem(index, f"photo {exc}", "照片格式不正确或过大"))
    if problems:
        raise InvalidInputError(problems)
    return images


def read_faces(engine: FaceEngine, images: list[bytes]) -> npt.NDArray[np.float32]:
    """One embedding per photo; each must show exactly one face that passes the gate."""
    problems, rows = [], []
    for index, image in enumerate(images):
        try:
            reading: FaceReading = engine.read_jpeg(image, single_face=True)
        except ImageDecodeError as exc:
            problems.append(_photo_problem(index, str(exc), "照片无法解码"))
            continue
        if reading.embedding is None:
            for problem in reading.problems:
                problems.append(
                    _photo_problem(index, f"{problem.code}: {problem.detail}", problem.message_zh)
                )
            continue
        rows.append(reading.embedding)
    if problems:
        raise InvalidInputError(problems)
    return np.stack(rows).astype(np.float32)


async def _refuse_lookalikes(
    conn: AsyncConnection[Any],
    worker_id: int,
    project_id: str,
    embeddings: npt.NDArray[np.float32],
    threshold: float,
) -> None:
    cursor = await conn.execute(
        "SELECT w.worker_id, w.name, w.id_number, e.embedding FROM face_enrolments e"
        " JOIN workers w ON w.worker_id = e.worker_id"
        " JOIN memberships m ON m.worker_id = e.worker_id"
        "  AND m.project_id = %s AND m.status = 'active'"
        " WHERE e.worker_id <> %s",
        (project_id, worker_id),
    )
    rows = await cursor.fetchall()
    if not rows:
        return
    enrolled = np.stack([np.frombuffer(row[3], "<f4") for row in rows]).astype(np.float32)
    scores = embeddings @ enrolled.T  # photos × enrolled rows
    best = np.unravel_index(int(np.argmax(scores)), scores.shape)
    if float(scores[best]) >= threshold:
        other_id, name, id_number, _ = rows[int(best[1])]
        who = f"{mask_name(name)} ({mask_id_number(id_number)})"
        raise ConflictError(
            f"photo {int(best[0]) + 1} matches worker {other_id} {who}, already enrolled in"
            f" project {project_id} (score {float(scores[best]):.2f})",
            message_zh=f"该人脸与本项目已登记的工人 {who} 相同，不能重复登记",
        )


async def enrol(
    conn: AsyncConnection[Any],
    engine: FaceEngine,
    worker_id: int,
    request: EnrolmentIn,
    *,
    max_photo_bytes: int,
    threshold: float,
    actor: str,
) -> EnrolmentView:
    """Replace the worker's enrolment with these photos (all of them or nothing)."""
    cursor = await conn.execute(
        "SELECT 1 FROM memberships WHERE worker_id = %s AND project_id = %s AND status = 'active'",
        (worker_id, request.project_id),
    )
    if await cursor.fetchone() is None:
        raise NotFoundError(f"worker {worker_id} is not active in project {request.project_id}")
    images = decode_photos(request.photos, max_bytes=max_photo_bytes)
    embeddings = await asyncio.to_thread(read_faces, engine, images)
    photo = await asyncio.to_thread(terminal_photo, images[0])
    async with conn.transaction():
        # One enrolment at a time per project, so two lookalikes cannot both get in.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('enrol:' || %s))", (request.project_id,)
        )
        await _refuse_lookalikes(conn, worker_id, request.project_id, embeddings, threshold)
        await conn.execute("DELETE FROM face_enrolments WHERE worker_id = %s", (worker_id,))
        # The picture the project's face terminals enrol from (人员下发), the first photo.
        await conn.execute(
            "INSERT INTO face_photos (worker_id, photo) VALUES (%s, %s) ON CONFLICT (worker_id)"
            " DO UPDATE SET photo = EXCLUDED.photo, taken_at = now()",
            (worker_id, photo),
        )
        for number, row in enumerate(embeddings, start=1):
            await conn.execute(
                "INSERT INTO face_enrolments (worker_id, photo_no, embedding, model, enrolled_by)"
                " VALUES (%s, %s, %s, %s, %s)",
                (worker_id, number, np.asarray(row, "<f4").tobytes(), MODEL_NAME, actor),
            )
        await audit(
            conn,
            actor=actor,
            action="worker.face_enrol",
            entity="worker",
            entity_id=str(worker_id),
            detail={"project_id": request.project_id, "photos": len(embeddings)},
        )
        await _publish(conn, worker_id, embeddings)
    return await enrolment_of(conn, worker_id)


async def remove(conn: AsyncConnection[Any], worker_id: int, *, actor: str) -> None:
    async with conn.transaction():
        cursor = await conn.execute(
            "DELETE FROM face_enrolments WHERE worker_id = %s RETURNING photo_no", (worker_id,)
        )
        if not await cursor.fetchall():
            raise NotFoundError(f"worker {worker_id} has no face enrolment")
        await conn.execute("DELETE FROM face_photos WHERE worker_id = %s", (worker_id,))
        await audit(
            conn,
            actor=actor,
            action="worker.face_remove",
            entity="worker",
            entity_id=str(worker_id),
        )
        await _publish(conn, worker_id, np.zeros((0, DIMENSIONS), np.float32))


async def _publish(
    conn: AsyncConnection[Any], worker_id: int, embeddings: npt.NDArray[np.float32]
) -> None:
    state = {
        "worker_id": worker_id,
        "model": MODEL_NAME,
        "embeddings": [encode_embedding(row) for row in embeddings],
    }
    await record_change(conn, "enrolment", str(worker_id), state)


async def enrolment_of(conn: AsyncConnection[Any], worker_id: int) -> EnrolmentView:
    cursor = await conn.execute(
        "SELECT count(*), max(model), max(enrolled_at) FROM face_enrolments WHERE worker_id = %s",
        (worker_id,),
    )
    count, model, enrolled_at = await cursor.fetchone() or (0, None, None)
    return EnrolmentView(worker_id=worker_id, photos=count, model=model, enrolled_at=enrolled_at)


async def selfie_score(
    conn: AsyncConnection[Any], engine: FaceEngine, worker_id: int, selfie: str, *, max_bytes: int
) -> float:
    """How well a selfie (base64 JPEG) matches the worker's own enrolment (cosine score).
    Refuses a selfie without one clear face, and a worker who has no enrolment."""
    embedding = await selfie_embedding(engine, selfie, max_bytes=max_bytes)
    return await enrolment_score(conn, worker_id, embedding)


async def selfie_embedding(
    engine: FaceEngine, selfie: str, *, max_bytes: int
) -> npt.NDArray[np.float32]:
    """The embedding of a selfie (base64 JPEG) showing one clear face, or the reasons not."""
    try:
        images = decode_photos([selfie], max_bytes=max_bytes)
        return await asyncio.to_thread(read_faces, engine, images)
    except InvalidInputError as exc:
        problems = [
            FieldProblem("selfie_jpeg", p.reason, p.message_zh.replace("第1张照片", "自拍照"))
            for p in exc.problems
        ]
        raise InvalidInputError(problems) from None


async def enrolment_score(
    conn: AsyncConnection[Any], worker_id: int, embedding: npt.NDArray[np.float32]
) -> float:
    """How well an embedding matches the worker's enrolment; refused without one."""
    cursor = await conn.execute(
        "SELECT embedding FROM face_enrolments WHERE worker_id = %s", (worker_id,)
    )
    rows = await cursor.fetchall()
    if not rows:
        raise InvalidInputError(
            [
                FieldProblem(
                    "selfie_jpeg",
                    "the worker has no face enrolment",
                    "尚未登记人脸，无法进行人脸核验",
                )
            ]
        )
    enrolled = np.stack([np.frombuffer(row[0], "<f4") for row in rows]).astype(np.float32)
    return float(np.max(embedding @ enrolled.T))
