"""Projects: register, list, read and update (a contractor's suspension, completion or
briefing-date move becomes a change request), each scoped to the caller."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from api.auth.guards import actor_of, require_visible_project
from api.auth.principal import Role
from api.dependencies import Caller, Paging, Services, TextId
from api.envelopes import PageOf
from api.stores.project_changes import ChangeRequestView, request_change, split_patch
from api.stores.projects import (
    ProjectIn,
    ProjectPatch,
    ProjectView,
    create_project,
    get_project,
    list_projects,
    update_project,
)
from infra.errors import ForbiddenError
from streams.regions import region_prefix

router = APIRouter(tags=["projects"])


class ProjectChangeIn(ProjectPatch):
    reason: str = Field(default="", max_length=500, description="why (for the regulator)")


class ProjectWithPendingChange(ProjectView):
    pending_change_request: ChangeRequestView


@router.post("/v1/projects", status_code=201, response_model=ProjectView)
async def post_project(project: ProjectIn, who: Caller, app: Services) -> ProjectView:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register projects")
    if not project.region_code.startswith(region_prefix(who.scope_id)):
        raise ForbiddenError(f"region {project.region_code} is outside your region")
    async with app.pool.connection() as conn:
        return await create_project(conn, project, actor=actor_of(who))


@router.get("/v1/projects", response_model=PageOf[ProjectView])
async def get_projects(who: Caller, app: Services, page: Paging) -> PageOf[ProjectView]:
    async with app.pool.connection() as conn:
        items, total = await list_projects(conn, who, limit=page.limit, offset=page.offset)
    return PageOf[ProjectView](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/v1/projects/{project_id}", response_model=ProjectView)
async def get_one_project(project_id: TextId, who: Caller, app: Services) -> ProjectView:
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await get_project(conn, project_id)


@router.patch(
    "/v1/projects/{project_id}",
    response_model=ProjectView,
    responses={
        202: {
            "model": ProjectWithPendingChange,
            "description": "the other fields updated; suspending, completing or moving the"
            " briefing date waits for a regulator (pending_change_request)",
        }
    },
)
async def patch_project(
    project_id: TextId, body: ProjectChangeIn, who: Caller, app: Services
) -> ProjectView | JSONResponse:
    if who.role not in (Role.REGULATOR, Role.CONTRACTOR_ADMIN):
        raise ForbiddenError("only regulators and contractor admins update projects")
    fields = body.model_dump(exclude_unset=True, exclude={"reason"})
    patch = ProjectPatch.model_validate(fields)
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        current = await get_project(conn, project_id)
        now, guarded = split_patch(who, patch, current)
        updated = current
        if now is not None:
            updated = await update_project(conn, project_id, now, actor=actor_of(who))
        if not guarded:
            return updated
        pending = await request_change(
            conn, project_id, guarded, reason=body.reason, actor=actor_of(who)
        )
    # Accepted, not done: a regulator of the region decides (GET /v1/project-change-requests).
    accepted = ProjectWithPendingChange(**updated.model_dump(), pending_change_request=pending)
    return JSONResponse(accepted.model_dump(mode="json"), status_code=202)
