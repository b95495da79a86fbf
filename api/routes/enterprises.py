"""Enterprises and project participation: regulators register them within their region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth.guards import actor_of, require_visible_project
from api.auth.principal import Principal, Role, ScopeKind
from api.dependencies import Caller, Paging, RowId, Services, TextId
from api.envelopes import PageOf
from api.stores.enterprises import (
    EnterpriseIn,
    EnterprisePatch,
    EnterpriseView,
    ParticipationIn,
    add_participant,
    create_enterprise,
    find_enterprises,
    get_enterprise,
    update_enterprise,
)
from infra.errors import ForbiddenError

router = APIRouter(tags=["enterprises"])


class Participation(BaseModel):
    project_id: str
    enterprise_id: int
    role: str


def _regulator(who: Principal) -> None:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register enterprises and project participants")


def _not_a_worker(who: Principal) -> None:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot read enterprise records")


@router.post("/v1/enterprises", status_code=201, response_model=EnterpriseView)
async def post_enterprise(enterprise: EnterpriseIn, who: Caller, app: Services) -> EnterpriseView:
    _regulator(who)
    async with app.pool.connection() as conn:
        return await create_enterprise(conn, enterprise, actor=actor_of(who))


@router.get("/v1/enterprises", response_model=PageOf[EnterpriseView])
async def get_enterprises(
    who: Caller,
    app: Services,
    page: Paging,
    name: Annotated[str | None, Query(max_length=128)] = None,
) -> PageOf[EnterpriseView]:
    _not_a_worker(who)
    async with app.pool.connection() as conn:
        items = await find_enterprises(conn, name=name, limit=page.limit, offset=page.offset)
    return PageOf[EnterpriseView](items=items, limit=page.limit, offset=page.offset)


@router.get("/v1/enterprises/{enterprise_id:int}", response_model=EnterpriseView)
async def get_one_enterprise(enterprise_id: RowId, who: Caller, app: Services) -> EnterpriseView:
    _not_a_worker(who)
    async with app.pool.connection() as conn:
        return await get_enterprise(conn, enterprise_id)


@router.patch("/v1/enterprises/{enterprise_id:int}", response_model=EnterpriseView)
async def patch_enterprise(
    enterprise_id: RowId, patch: EnterprisePatch, who: Caller, app: Services
) -> EnterpriseView:
    _regulator(who)
    async with app.pool.connection() as conn:
        return await update_enterprise(conn, enterprise_id, patch, actor=actor_of(who))


@router.post("/v1/projects/{project_id}/enterprises", status_code=201, response_model=Participation)
async def post_participant(
    project_id: TextId, participation: ParticipationIn, who: Caller, app: Services
) -> Participation:
    _regulator(who)
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        await add_participant(conn, project_id, participation, actor=actor_of(who))
    return Participation(project_id=project_id, **participation.model_dump())
