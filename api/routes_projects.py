"""Projects: register, list, read and update (a contractor's suspension, completion or
briefing-date move becomes a change request), each scoped to the caller."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.guards import actor_of, require_visible_project
from api.http import handles_errors, json_object, page_params, principal_of
from api.principal import Role
from api.project_changes import request_change, split_patch
from api.projects import (
    ProjectIn,
    ProjectPatch,
    create_project,
    get_project,
    list_projects,
    parse_model,
    update_project,
)
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError
from streams.regions import region_prefix


async def post_project(request: Request) -> Response:
    who = principal_of(request)
    project: ProjectIn = parse_model(ProjectIn, await json_object(request))
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register projects")
    if not project.region_code.startswith(region_prefix(who.scope_id)):
        raise ForbiddenError(f"region {project.region_code} is outside your region")
    async with request.app.state.pool.connection() as conn:
        created = await create_project(conn, project, actor=actor_of(who))
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


async def get_projects(request: Request) -> Response:
    who = principal_of(request)
    limit, offset = page_params(request)
    async with request.app.state.pool.connection() as conn:
        items, total = await list_projects(conn, who, limit=limit, offset=offset)
    return JSONResponse(
        {
            "items": [p.model_dump(mode="json") for p in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


async def get_one_project(request: Request) -> Response:
    who = principal_of(request)
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        project = await get_project(conn, project_id)
    return JSONResponse(project.model_dump(mode="json"))


async def patch_project(request: Request) -> Response:
    who = principal_of(request)
    if who.role not in (Role.REGULATOR, Role.CONTRACTOR_ADMIN):
        raise ForbiddenError("only regulators and contractor admins update projects")
    body = await json_object(request)
    reason = body.pop("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidInputError([FieldProblem("reason", "at most 500 characters", "说明过长")])
    patch: ProjectPatch = parse_model(ProjectPatch, body)
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        current = await get_project(conn, project_id)
        now, guarded = split_patch(who, patch, current)
        updated = current
        if now is not None:
            updated = await update_project(conn, project_id, now, actor=actor_of(who))
        pending = None
        if guarded:
            pending = await request_change(
                conn, project_id, guarded, reason=reason, actor=actor_of(who)
            )
    body = updated.model_dump(mode="json")
    if pending is None:
        return JSONResponse(body)
    # Accepted, not done: a regulator of the region decides (GET /v1/project-change-requests).
    return JSONResponse(
        {**body, "pending_change_request": pending.model_dump(mode="json")}, status_code=202
    )


routes = [
    Route("/v1/projects/{project_id}", handles_errors(patch_project), methods=["PATCH"]),
    Route("/v1/projects", handles_errors(post_project), methods=["POST"]),
    Route("/v1/projects", handles_errors(get_projects), methods=["GET"]),
    Route("/v1/projects/{project_id}", handles_errors(get_one_project), methods=["GET"]),
]
