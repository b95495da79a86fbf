"""Safety training courses and each worker's study of them. Owns ``training_courses`` and
``training_sessions`` (and the ``gate_roster`` view that the terminals' roster reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.stores.audit import audit
from api.stores.rows import reading
from api.training.study import AbandonReason, StudyState, refuse_finish
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_zh: str = Field(min_length=2, max_length=100, description="the course's title")
    content_zh: str = Field(min_length=10, max_length=20000, description="the course material")
    required_minutes: int = Field(ge=1, le=600, description="study time needed to complete it")
    required_for_access: bool = Field(
        default=False,
        description="the project's terminals let a worker in only once they completed it",
    )


class CourseView(BaseModel):
    course_id: int
    project_id: str
    title_zh: str
    content_zh: str
    required_minutes: int
    required_for_access: bool
    created_at: datetime
    completed: int = Field(description="workers on the roster who completed it")
    roster: int = Field(description="workers on the project's roster")


class MyCourse(BaseModel):
    course_id: int
    project_id: str
    project_name: str
    title_zh: str
    content_zh: str
    required_minutes: int
    required_for_access: bool
    completed_at: datetime | None = Field(description="null: not yet studied (未学习)")


class StudyView(BaseModel):
    session_id: int
    course_id: int
    state: StudyState
    started_at: datetime
    required_minutes: int
    ended_at: datetime | None
    abandon_reason: str | None


class Learner(BaseModel):
    worker_id: int
    name: str
    completed_at: datetime | None
    abandoned: int = Field(description="studies of this course the worker abandoned")


_COURSE = (
    "SELECT c.course_id, c.project_id, c.title_zh, c.content_zh, c.required_minutes,"
    " c.required_for_access, c.created_at,"
    " (SELECT count(*) FROM training_sessions s JOIN memberships m ON m.worker_id = s.worker_id"
    "  AND m.project_id = c.project_id AND m.status = 'active'"
    "  WHERE s.course_id = c.course_id AND s.state = 'completed') AS completed,"
    " (SELECT count(DISTINCT worker_id) FROM memberships m WHERE m.project_id = c.project_id"
    "  AND m.status = 'active') AS roster"
    " FROM training_courses c WHERE c.withdrawn_at IS NULL"
)
_STUDY = (
    "SELECT s.session_id, s.course_id, s.state, s.started_at, c.required_minutes,"
    " s.ended_at, s.abandon_reason FROM training_sessions s"
    " JOIN training_courses c USING (course_id)"
)


async def add_course(
    conn: AsyncConnection[Any], project_id: str, course: CourseIn, *, actor: str
) -> CourseView:
    async with conn.transaction():
        cursor = await conn.execute(
            "INSERT INTO training_courses (project_id, title_zh, content_zh, required_minutes,"
            " required_for_access, created_by) VALUES (%s, %s, %s, %s, %s, %s)"
            " RETURNING course_id",
            (
                project_id,
                course.title_zh,
                course.content_zh,
                course.required_minutes,
                course.required_for_access,
                actor,
            ),
        )
        row = await cursor.fetchone()
        assert row is not None
        await audit(
            conn,
            actor=actor,
            action="training.course_added",
            entity="project",
            entity_id=project_id,
            detail={"course_id": row[0], "required_for_access": course.required_for_access},
        )
    found = await reading(conn, CourseView).execute(_COURSE + " AND c.course_id = %s", row)
    view = await found.fetchone()
    assert view is not None
    return view


async def courses_of(conn: AsyncConnection[Any], project_id: str) -> list[CourseView]:
    cursor = await reading(conn, CourseView).execute(
        _COURSE + " AND c.project_id = %s ORDER BY c.course_id", (project_id,)
    )
    return await cursor.fetchall()


async def learners_of(
    conn: AsyncConnection[Any], project_id: str, course_id: int, *, limit: int, offset: int
) -> tuple[list[Learner], int]:
    """The roster's workers with where each stands on the course (not yet studied first)."""
    await _course_of_project(conn, project_id, course_id)
    cursor = await reading(conn, Learner).execute(
        "WITH roster AS (SELECT DISTINCT worker_id FROM memberships"
        "  WHERE project_id = %(p)s AND status = 'active')"
        " SELECT * FROM (SELECT r.worker_id, w.name,"
        " (SELECT ended_at FROM training_sessions s WHERE s.course_id = %(c)s"
        "  AND s.worker_id = r.worker_id AND s.state = 'completed') AS completed_at,"
        " (SELECT count(*) FROM training_sessions s WHERE s.course_id = %(c)s"
        "  AND s.worker_id = r.worker_id AND s.state = 'abandoned') AS abandoned"
        " FROM roster r JOIN workers w USING (worker_id)) learners"
        " ORDER BY completed_at IS NOT NULL, worker_id LIMIT %(n)s OFFSET %(o)s",
        {"p": project_id, "c": course_id, "n": limit, "o": offset},
    )
    learners = await cursor.fetchall()
    total = await conn.execute(
        "SELECT count(DISTINCT worker_id) FROM memberships WHERE project_id = %s"
        " AND status = 'active'",
        (project_id,),
    )
    counted = await total.fetchone()
    return learners, int(counted[0]) if counted else 0


async def my_courses(conn: AsyncConnection[Any], worker_id: int) -> list[MyCourse]:
    """The courses of every project the worker is on the roster of, studied or not."""
    cursor = await reading(conn, MyCourse).execute(
        "SELECT * FROM (SELECT c.course_id, c.project_id, p.name AS project_name, c.title_zh,"
        " c.content_zh, c.required_minutes, c.required_for_access,"
        " (SELECT ended_at FROM training_sessions s WHERE s.course_id = c.course_id"
        "  AND s.worker_id = %(w)s AND s.state = 'completed') AS completed_at"
        " FROM training_courses c JOIN projects p USING (project_id)"
        " WHERE c.withdrawn_at IS NULL AND c.project_id IN (SELECT project_id FROM memberships"
        "  WHERE worker_id = %(w)s AND status = 'active')) mine"
        " ORDER BY completed_at IS NOT NULL, project_id, course_id",
        {"w": worker_id},
    )
    return await cursor.fetchall()


async def course_to_study(conn: AsyncConnection[Any], worker_id: int, course_id: int) -> MyCourse:
    """A course of one of the worker's projects that they have yet to complete."""
    course = await my_course(conn, worker_id, course_id)
    if course.completed_at is not None:
        raise ConflictError("the course is already completed", message_zh="该课程已学习完成")
    return course


async def start_study(
    conn: AsyncConnection[Any], worker_id: int, course: MyCourse, *, face_score: float
) -> StudyView:
    """Begin studying ``course`` (from :func:`course_to_study`); a study of it still open is
    abandoned (restarted)."""
    course_id = course.course_id
    async with conn.transaction():
        await conn.execute(
            "UPDATE training_sessions SET state = 'abandoned', ended_at = now(),"
            " abandon_reason = %s WHERE worker_id = %s AND course_id = %s"
            " AND state = 'watching'",
            (AbandonReason.RESTARTED.value, worker_id, course_id),
        )
        cursor = await conn.execute(
            "INSERT INTO training_sessions (course_id, worker_id, start_score)"
            " VALUES (%s, %s, %s) RETURNING session_id",
            (course_id, worker_id, face_score),
        )
        row = await cursor.fetchone()
        assert row is not None
    return await study_of(conn, worker_id, int(row[0]))


async def my_course(conn: AsyncConnection[Any], worker_id: int, course_id: int) -> MyCourse:
    for course in await my_courses(conn, worker_id):
        if course.course_id == course_id:
            return course
    raise NotFoundError(f"course {course_id} is not a course of your projects")


async def study_of(conn: AsyncConnection[Any], worker_id: int, session_id: int) -> StudyView:
    cursor = await reading(conn, StudyView).execute(
        _STUDY + " WHERE s.session_id = %s AND s.worker_id = %s", (session_id, worker_id)
    )
    study = await cursor.fetchone()
    if study is None:
        raise NotFoundError(f"study {session_id} does not exist")
    return study


async def finish_study(
    conn: AsyncConnection[Any], worker_id: int, session_id: int, *, face_score: float, now: datetime
) -> StudyView:
    """Complete a study that lasted its required minutes (checked in the same transaction
    that records it, so two finishes cannot both count)."""
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT s.state, s.started_at, c.required_minutes FROM training_sessions s"
            " JOIN training_courses c USING (course_id)"
            " WHERE s.session_id = %s AND s.worker_id = %s FOR UPDATE OF s",
            (session_id, worker_id),
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"study {session_id} does not exist")
        refuse_finish(StudyState(row[0]), row[1], int(row[2]), now)
        await conn.execute(
            "UPDATE training_sessions SET state = 'completed', ended_at = %s, end_score = %s"
            " WHERE session_id = %s",
            (now, face_score, session_id),
        )
    return await study_of(conn, worker_id, session_id)


async def abandon_study(
    conn: AsyncConnection[Any], worker_id: int, session_id: int, reason: AbandonReason
) -> StudyView:
    """End a study that is still open as abandoned; one already ended stays as it is."""
    await conn.execute(
        "UPDATE training_sessions SET state = 'abandoned', ended_at = now(), abandon_reason = %s"
        " WHERE session_id = %s AND worker_id = %s AND state = 'watching'",
        (reason.value, session_id, worker_id),
    )
    return await study_of(conn, worker_id, session_id)


async def _course_of_project(conn: AsyncConnection[Any], project_id: str, course_id: int) -> None:
    cursor = await conn.execute(
        "SELECT 1 FROM training_courses WHERE course_id = %s AND project_id = %s",
        (course_id, project_id),
    )
    if await cursor.fetchone() is None:
        raise NotFoundError(f"project {project_id} has no course {course_id}")


async def untrained_for_access(
    conn: AsyncConnection[Any], worker_id: int, project_id: str
) -> list[str]:
    """Titles of the courses the project requires for access that the worker lacks."""
    cursor = await conn.execute(
        "SELECT title_zh FROM training_courses c WHERE c.project_id = %s"
        " AND c.required_for_access AND c.withdrawn_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM training_sessions s WHERE s.course_id = c.course_id"
        "  AND s.worker_id = %s AND s.state = 'completed') ORDER BY c.course_id",
        (project_id, worker_id),
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def require_access_training(
    conn: AsyncConnection[Any], worker_id: int, project_id: str, *, field: str
) -> None:
    """Refuse a phone pass (clock-in, QR sign-in) of a worker who lacks a course the
    project requires for access, as its terminals would."""
    lacking = await untrained_for_access(conn, worker_id, project_id)
    if lacking:
        titles = "、".join(f"《{title}》" for title in lacking)
        raise InvalidInputError(
            [
                FieldProblem(
                    field,
                    f"{len(lacking)} safety training course(s) required for access not completed",
                    f"须先完成安全培训{titles}才能进场",
                )
            ]
        )
