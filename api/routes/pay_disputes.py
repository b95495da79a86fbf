"""Workers' pay disputes (工资异议): the project's officer answers; regulators of the region
and staff of the project see them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth.access import visible_project_ids
from api.auth.guards import actor_of, require_visible_project
from api.auth.principal import Role, ScopeKind
from api.dependencies import Caller, RowId, Services
from api.envelopes import Items
from api.stores.pay_disputes import DisputeView, answer_dispute, disputes_of_projects, get_dispute
from infra.errors import ForbiddenError

router = APIRouter(tags=["payroll"])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: str = Field(min_length=1, max_length=500)


@router.get("/v1/payroll/disputes", response_model=Items[DisputeView])
async def get_disputes(
    who: Caller,
    app: Services,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[Literal["open", "answered"] | None, Query()] = None,
) -> Items[DisputeView]:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers see their disputes with their pay")
    async with app.pool.connection() as conn:
        projects = await visible_project_ids(conn, who)
        if project_id is not None:
            projects = [p for p in projects if p == project_id]
        return Items[DisputeView](items=await disputes_of_projects(conn, projects, status=status))


@router.post("/v1/payroll/disputes/{dispute_id:int}/answer", response_model=DisputeView)
async def post_answer(dispute_id: RowId, body: AnswerIn, who: Caller, app: Services) -> DisputeView:
    if who.role is not Role.LABOUR_OFFICER:
        raise ForbiddenError("the project's labour officer answers disputes")
    async with app.pool.connection() as conn:
        dispute = await get_dispute(conn, dispute_id)
        await require_visible_project(conn, who, dispute.project_id)
        return await answer_dispute(conn, dispute_id, body.answer, actor=actor_of(who))
