"""Mobile clock-in (移动考勤打卡): a project's officer sets the fence; a worker on its
roster clocks in and out from the phone, inside the fence, precisely located, with two
camera frames of their own live face. An accepted clock-in is a pass (``method: mobile``,
the selfie its snapshot) on ``gate.passes``, the same stream as the gates'."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth.guards import (
    actor_of,
    own_worker_id,
    require_project_in_scope,
    require_registrar,
    require_visible_project,
)
from api.dependencies import Caller, Services, TextId
from api.mobile.clock_in import Attempt, place_problems
from api.mobile.live_face import LiveFrames, check_live_face
from api.mobile.passes import phone_pass
from api.mobile.place import Latitude, Longitude, PhonePlace
from api.stores.mobile_clock_ins import (
    ProjectFence,
    fence_of,
    fences_of,
    is_on_roster,
    last_clock_in,
    projects_on_roster,
    record_clock_in,
    save_fence,
)
from api.stores.training import require_access_training
from infra.errors import FieldProblem, InvalidInputError, NotFoundError
from infra.snapshots import snapshot_ref
from streams.records import Direction, PassMethod

router = APIRouter(tags=["mobile clock-in"])


class Corner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: Latitude
    longitude: Longitude


class FenceIn(BaseModel):
    """A circle (``center`` and ``radius_m``) or a ``polygon``; WGS-84 (GPS) coordinates."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    center: Corner | None = None
    radius_m: int | None = Field(default=None, ge=20, le=5000)
    polygon: list[Corner] | None = Field(default=None, min_length=3, max_length=50)
    max_accuracy_m: int = Field(default=50, ge=5, le=500)

    @model_validator(mode="after")
    def one_shape(self) -> FenceIn:
        circle = self.center is not None and self.radius_m is not None
        if circle == (self.polygon is not None):
            raise ValueError("give either center and radius_m, or polygon")
        return self


class FenceView(BaseModel):
    project_id: str
    enabled: bool
    center: Corner | None
    radius_m: float | None
    polygon: list[Corner] | None
    max_accuracy_m: int
    updated_at: datetime


class ClockInIn(PhonePlace):
    project_id: str = Field(min_length=1, max_length=64)
    direction: Literal["in", "out"]
    captured_at: datetime = Field(description="when the phone took the frames")
    selfie_jpegs: LiveFrames


class ClockInView(BaseModel):
    event_id: str
    project_id: str
    direction: str
    occurred_at: datetime
    face_score: float
    message_zh: str


class ClockInProject(BaseModel):
    project_id: str
    name: str
    fence: FenceView | None
    last_clock_in: datetime | None


def _view(found: ProjectFence) -> FenceView:
    fence = found.fence
    return FenceView(
        project_id=found.project_id,
        enabled=found.enabled,
        center=Corner(latitude=fence.center[0], longitude=fence.center[1])
        if fence.center
        else None,
        radius_m=fence.radius_m,
        polygon=[Corner(latitude=p[0], longitude=p[1]) for p in fence.polygon] or None,
        max_accuracy_m=found.max_accuracy_m,
        updated_at=found.updated_at,
    )


@router.put("/v1/projects/{project_id}/clock-in-fence", response_model=FenceView)
async def put_fence(project_id: TextId, body: FenceIn, who: Caller, app: Services) -> FenceView:
    """Turn mobile clock-in on (or off) for the project, inside this fence."""
    require_registrar(who, "set a project's clock-in fence")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        saved = await save_fence(
            conn,
            project_id,
            enabled=body.enabled,
            center=(body.center.latitude, body.center.longitude) if body.center else None,
            radius_m=body.radius_m,
            polygon=[(c.latitude, c.longitude) for c in body.polygon] if body.polygon else None,
            max_accuracy_m=body.max_accuracy_m,
            actor=actor_of(who),
        )
    return _view(saved)


@router.get("/v1/projects/{project_id}/clock-in-fence", response_model=FenceView)
async def get_fence(project_id: TextId, who: Caller, app: Services) -> FenceView:
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        found = await fence_of(conn, project_id)
    if found is None:
        raise NotFoundError(f"project {project_id} has no clock-in fence")
    return _view(found)


@router.get("/v1/me/clock-in-projects", response_model=list[ClockInProject])
async def get_my_projects(who: Caller, app: Services) -> list[ClockInProject]:
    """The projects the worker is on the roster of, with their fences (null: no clock-in)."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        projects = await projects_on_roster(conn, worker_id)
        fences = {f.project_id: f for f in await fences_of(conn, [p for p, _ in projects])}
        lasts = {p: await last_clock_in(conn, worker_id, p) for p, _ in projects}
    return [
        ClockInProject(
            project_id=project_id,
            name=name,
            fence=_view(fences[project_id]) if project_id in fences else None,
            last_clock_in=lasts[project_id],
        )
        for project_id, name in projects
    ]


@router.post("/v1/me/clock-ins", status_code=201, response_model=ClockInView)
async def post_clock_in(body: ClockInIn, who: Caller, app: Services) -> ClockInView:
    """Clock in or out from the phone. Refused, with the reason, outside the fence, with a
    poor location, with the phone's clock off, a minute after the last, without two live
    frames of the worker's own enrolled face."""
    worker_id = own_worker_id(who)
    now = datetime.now(UTC)
    async with app.pool.connection() as conn:
        if not await is_on_roster(conn, worker_id, body.project_id):
            raise NotFoundError(f"you are not on the roster of project {body.project_id}")
        await require_access_training(conn, worker_id, body.project_id, field="project_id")
        found = await fence_of(conn, body.project_id)
        if found is None or not found.enabled:
            raise InvalidInputError(
                [FieldProblem("project_id", "has no mobile clock-in", "该项目未开启手机考勤打卡")]
            )
        attempt = Attempt(body.point, body.accuracy_m, body.captured_at)
        last = await last_clock_in(conn, worker_id, body.project_id)
        problems = place_problems(
            attempt, found.fence, max_accuracy_m=found.max_accuracy_m, now=now, last=last
        )
        if problems:
            raise InvalidInputError(problems)
        face = await check_live_face(conn, app, worker_id, body.selfie_jpegs)
        event = phone_pass(
            body.project_id, worker_id, Direction(body.direction), PassMethod.MOBILE, now,
            score=face.score,
        )  # fmt: skip
        ref = snapshot_ref(body.project_id, event.event_id, now)
        app.snapshots.save(ref, face.frame)
        event = event.model_copy(update={"snapshot_ref": ref})
        await record_clock_in(
            conn, event, point=attempt.point, accuracy_m=body.accuracy_m, face_score=face.score
        )
    label = "上班打卡" if body.direction == "in" else "下班打卡"
    return ClockInView(
        event_id=event.event_id,
        project_id=body.project_id,
        direction=body.direction,
        occurred_at=now,
        face_score=round(face.score, 3),
        message_zh=f"{label}成功",
    )
