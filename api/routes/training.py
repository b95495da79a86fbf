"""Safety training (安全培训): a project's officer adds courses (required minutes, and
whether the terminals wait for them); a worker studies a course from the app, begun and
ended with their live face, with the page in front; officers and regulators see who has
studied what (已学习 / 未学习)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from api.auth.guards import (
    actor_of,
    own_worker_id,
    require_project_in_scope,
    require_registrar,
    require_visible_project,
)
from api.dependencies import Caller, Paging, RowId, Services, TextId
from api.envelopes import Items, PageOf
from api.mobile.live_face import LiveFrames, check_live_face
from api.stores.training import (
    CourseIn,
    CourseView,
    Learner,
    MyCourse,
    StudyView,
    abandon_study,
    add_course,
    course_to_study,
    courses_of,
    finish_study,
    learners_of,
    my_courses,
    start_study,
)
from api.training.study import AbandonReason

router = APIRouter(tags=["safety training"])


class FaceCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selfie_jpegs: LiveFrames


class AbandonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: AbandonReason = AbandonReason.HIDDEN


@router.post("/v1/projects/{project_id}/courses", status_code=201, response_model=CourseView)
async def post_course(project_id: TextId, body: CourseIn, who: Caller, app: Services) -> CourseView:
    require_registrar(who, "add a safety training course")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        return await add_course(conn, project_id, body, actor=actor_of(who))


@router.get("/v1/projects/{project_id}/courses", response_model=Items[CourseView])
async def get_courses(project_id: TextId, who: Caller, app: Services) -> Items[CourseView]:
    """The project's courses, each with how many of its roster completed it."""
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return Items[CourseView](items=await courses_of(conn, project_id))


@router.get(
    "/v1/projects/{project_id}/courses/{course_id}/learners", response_model=PageOf[Learner]
)
async def get_learners(
    project_id: TextId, course_id: RowId, who: Caller, app: Services, page: Paging
) -> PageOf[Learner]:
    """Where each worker of the roster stands on the course, those yet to study it first."""
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        learners, total = await learners_of(
            conn, project_id, course_id, limit=page.limit, offset=page.offset
        )
    return PageOf[Learner](items=learners, total=total, limit=page.limit, offset=page.offset)


@router.get("/v1/me/courses", response_model=Items[MyCourse])
async def get_my_courses(who: Caller, app: Services) -> Items[MyCourse]:
    """The courses of the worker's projects, not yet studied first."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return Items[MyCourse](items=await my_courses(conn, worker_id))


@router.post("/v1/me/courses/{course_id}/studies", status_code=201, response_model=StudyView)
async def post_study(course_id: RowId, body: FaceCheckIn, who: Caller, app: Services) -> StudyView:
    """Begin studying, after the face check at the start."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        course = await course_to_study(conn, worker_id, course_id)  # before the face check
        face = await check_live_face(conn, app, worker_id, body.selfie_jpegs)
        return await start_study(conn, worker_id, course, face_score=face.score)


@router.post("/v1/me/studies/{session_id}/finish", response_model=StudyView)
async def post_finish(
    session_id: RowId, body: FaceCheckIn, who: Caller, app: Services
) -> StudyView:
    """Complete the study, after the face check at the end, once its minutes are done."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        face = await check_live_face(conn, app, worker_id, body.selfie_jpegs)
        return await finish_study(
            conn, worker_id, session_id, face_score=face.score, now=datetime.now(UTC)
        )


@router.post("/v1/me/studies/{session_id}/abandon", response_model=StudyView)
async def post_abandon(session_id: RowId, body: AbandonIn, who: Caller, app: Services) -> StudyView:
    """The page left the front (or closed): the study no longer counts."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return await abandon_study(conn, worker_id, session_id, body.reason)
