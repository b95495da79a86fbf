"""What a region asks of its workers in the app (Shanghai: 聘用信息确认 and 健康体检): the
worker confirms each employment record and records their health check; the regulator
lists the region's health check institutions; the project's officer sees who has done
what."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth.guards import actor_of, own_worker_id, require_visible_project
from api.auth.principal import Role
from api.dependencies import Caller, Paging, RowId, Services, TextId
from api.envelopes import Items, PageOf
from api.mobile.region_duties import duties_for
from api.stores.employment import (
    Answer,
    Employment,
    Tally,
    answer_employment,
    answers_in,
    my_employment,
    tally_of,
)
from api.stores.health_checks import (
    HealthCheck,
    HealthCheckIn,
    Institution,
    InstitutionIn,
    add_institution,
    asked_of,
    institutions_for,
    institutions_under,
    latest_check,
    latest_checks,
    record_check,
)
from api.stores.projects import get_project
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError
from streams.local_time import BEIJING
from streams.regions import region_prefix

router = APIRouter(tags=["worker duties"])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: Answer
    terms_digest: str = Field(pattern=r"^[0-9a-f]{16}$", description="of the terms shown")
    note: str = Field(default="", max_length=200, description="what is wrong, when disputed")


class MyHealthCheck(BaseModel):
    asked: bool = Field(description="whether a project of yours asks for a health check")
    latest: HealthCheck | None
    institutions: list[Institution]


class WorkerDuty(BaseModel):
    worker_id: int
    worker_name: str
    employment: Employment
    health_check: HealthCheck | None


class DutiesPage(PageOf[WorkerDuty]):
    employment_confirmation: bool = Field(description="whether the project's region asks")
    health_check: bool
    tally: Tally


@router.get("/v1/me/employment", response_model=Items[Employment])
async def get_my_employment(who: Caller, app: Services) -> Items[Employment]:
    """The worker's employment records to confirm (聘用信息), those unanswered first."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return Items[Employment](items=await my_employment(conn, worker_id))


@router.post("/v1/me/employment/{membership_id}/answer", response_model=Employment)
async def post_answer(
    membership_id: RowId, body: AnswerIn, who: Caller, app: Services
) -> Employment:
    """Confirm the terms shown, or dispute them saying what is wrong."""
    worker_id = own_worker_id(who)
    if body.answer is Answer.DISPUTED and not body.note:
        problem = FieldProblem("note", "say what is wrong with the terms", "请说明哪项聘用信息有误")
        raise InvalidInputError([problem])
    async with app.pool.connection() as conn:
        return await answer_employment(
            conn,
            worker_id,
            membership_id,
            answer=body.answer,
            note=body.note,
            digest=body.terms_digest,
            actor=actor_of(who),
        )


@router.get("/v1/me/health-check", response_model=MyHealthCheck)
async def get_my_health_check(who: Caller, app: Services) -> MyHealthCheck:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return MyHealthCheck(
            asked=await asked_of(conn, worker_id),
            latest=await latest_check(conn, worker_id),
            institutions=await institutions_for(conn, worker_id),
        )


@router.post("/v1/me/health-check", status_code=201, response_model=HealthCheck)
async def post_health_check(body: HealthCheckIn, who: Caller, app: Services) -> HealthCheck:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return await record_check(
            conn, worker_id, body, today=datetime.now(BEIJING).date(), actor=actor_of(who)
        )


@router.post("/v1/health-institutions", status_code=201, response_model=Institution)
async def post_institution(body: InstitutionIn, who: Caller, app: Services) -> Institution:
    """A regulator lists an institution for their region or a region inside it."""
    mine = _regulated_prefix(who)
    if not body.region_code.startswith(mine):
        raise ForbiddenError(f"region {body.region_code} is outside your region {who.scope_id}")
    async with app.pool.connection() as conn:
        return await add_institution(conn, body, actor=actor_of(who))


@router.get("/v1/health-institutions", response_model=Items[Institution])
async def get_institutions(who: Caller, app: Services) -> Items[Institution]:
    """The institutions listed in the regulator's region."""
    mine = _regulated_prefix(who)
    async with app.pool.connection() as conn:
        return Items[Institution](items=await institutions_under(conn, mine))


@router.get("/v1/projects/{project_id}/worker-duties", response_model=DutiesPage)
async def get_worker_duties(
    project_id: TextId, who: Caller, app: Services, page: Paging
) -> DutiesPage:
    """Each worker of the roster: their employment answer and latest health check."""
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        duties = duties_for((await get_project(conn, project_id)).region_code)
        rows = await answers_in(conn, project_id, limit=page.limit, offset=page.offset)
        tally = await tally_of(conn, project_id)
        checks = await latest_checks(conn, [worker_id for worker_id, _, _ in rows])
    return DutiesPage(
        items=[
            WorkerDuty(
                worker_id=worker_id,
                worker_name=name,
                employment=employment,
                health_check=checks.get(worker_id),
            )
            for worker_id, name, employment in rows
        ],
        total=tally.roster,
        limit=page.limit,
        offset=page.offset,
        employment_confirmation=duties.employment_confirmation,
        health_check=duties.health_check,
        tally=tally,
    )


def _regulated_prefix(who: Caller) -> str:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators keep the list of health check institutions")
    return region_prefix(who.scope_id)
