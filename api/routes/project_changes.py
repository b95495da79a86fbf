"""Project change requests: the regulated side's requests to suspend, complete or move the
briefing date of a project, and the regulators' decisions on them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.auth.access import can_access_project, visible_project_ids
from api.auth.guards import actor_of
from api.auth.principal import Role
from api.dependencies import Caller, RowId, Services
from api.envelopes import Items
from api.stores.project_changes import ChangeRequestView, decide, get_request, pending_requests
from infra.errors import ForbiddenError, NotFoundError

router = APIRouter(tags=["projects"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: StrictBool
    reason: str = Field(min_length=1, max_length=500)


@router.get("/v1/project-change-requests", response_model=Items[ChangeRequestView])
async def list_pending(who: Caller, app: Services) -> Items[ChangeRequestView]:
    """Requests waiting for a regulator, for the projects in the caller's scope."""
    if who.role is Role.WORKER:
        raise ForbiddenError("workers have no project change requests")
    async with app.pool.connection() as conn:
        projects = await visible_project_ids(conn, who)
        return Items[ChangeRequestView](items=await pending_requests(conn, projects))


@router.post(
    "/v1/project-change-requests/{request_id:int}/decision", response_model=ChangeRequestView
)
async def post_decision(
    request_id: RowId, body: DecisionIn, who: Caller, app: Services
) -> ChangeRequestView:
    """A regulator of the project's region approves (it takes effect) or rejects, with the
    reason."""
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only a regulator of the project's region decides change requests")
    async with app.pool.connection() as conn:
        pending = await get_request(conn, request_id)
        if not await can_access_project(conn, who, pending.project_id):
            raise NotFoundError(f"change request {request_id} does not exist")
        return await decide(
            conn, request_id, approve=body.approve, reason=body.reason, actor=actor_of(who)
        )
