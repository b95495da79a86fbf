"""Projects, teams, whole-team exit and device credentials, each scoped to the caller."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.devices import (
    DeviceIn,
    device_project,
    disable_device,
    issue_device,
    list_devices,
    rotate_device,
)
from api.guards import actor_of, path_id, require_registrar, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.principal import Role, ScopeKind
from api.project_changes import request_change, split_patch
from api.projects import (
    ProjectIn,
    ProjectPatch,
    TeamIn,
    TeamPatch,
    create_project,
    create_team,
    exit_team,
    get_project,
    list_projects,
    list_teams,
    parse_model,
    team_project,
    update_project,
    update_team,
)
from infra.errors import (
    ConfirmationRequiredError,
    ConflictError,
    FieldProblem,
    ForbiddenError,
    InvalidInputError,
)
from streams.regions import region_prefix


def page_params(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", "50"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        raise InvalidInputError(
            [FieldProblem("limit", "limit and offset must be integers", "分页参数应为整数")]
        ) from None
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError(
            [FieldProblem("limit", "limit 1-500 and offset >= 0", "分页参数不正确")]
        )
    return limit, offset


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


async def post_team(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    team: TeamIn = parse_model(TeamIn, await json_object(request))
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        created = await create_team(conn, project_id, team, actor=actor_of(who))
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


async def get_teams(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list teams")
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        teams = await list_teams(conn, project_id)
    return JSONResponse({"items": [team.model_dump(mode="json") for team in teams]})


async def post_team_exit(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    body = await json_object(request)
    team_id = path_id(request, "team_id", "team")
    try:
        exit_date = date.fromisoformat(str(body.get("exit_date", "")))
    except ValueError:
        raise InvalidInputError(
            [FieldProblem("exit_date", "must be YYYY-MM-DD", "退场日期格式应为 YYYY-MM-DD")]
        ) from None
    reason = str(body.get("reason") or "").strip()
    if not reason:
        raise InvalidInputError([FieldProblem("reason", "required for an exit", "退场原因必填")])
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await team_project(conn, team_id))
        exited = await exit_team(
            conn,
            team_id,
            exit_date,
            actor=actor_of(who),
            reason=reason,
            confirmed=body.get("confirm") is True,
        )
    return JSONResponse({"team_id": team_id, "exited_workers": exited})


async def post_device(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    device: DeviceIn = parse_model(DeviceIn, await json_object(request))
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        issued = await issue_device(conn, project_id, device, actor=actor_of(who))
    return JSONResponse(issued.model_dump(), status_code=201)


async def post_device_rotation(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    device_id = request.path_params["device_id"]
    async with request.app.state.pool.connection() as conn:
        project_id = await device_project(conn, device_id)
        await require_visible_project(conn, who, project_id)
        issued = await rotate_device(conn, device_id, actor=actor_of(who))
    return JSONResponse(issued.model_dump())


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


async def get_regions(request: Request) -> Response:
    principal_of(request)
    async with request.app.state.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT code, name, level, parent_code FROM regions ORDER BY code"
        )
        rows = await cursor.fetchall()
    items = [{"code": c, "name": n, "level": lv, "parent_code": p} for c, n, lv, p in rows]
    return JSONResponse({"items": items})


async def get_devices(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list devices")
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        items = await list_devices(conn, project_id)
    return JSONResponse({"items": [item.model_dump() for item in items]})


async def post_device_disable(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    body = await json_object(request)
    if body.get("confirm") is not True:
        raise ConfirmationRequiredError("disabling a gate stops its passes: confirm it")
    reason = str(body.get("reason") or "").strip()
    if not reason:
        raise InvalidInputError([FieldProblem("reason", "required", "停用原因必填")])
    device_id = request.path_params["device_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await device_project(conn, device_id))
        await disable_device(conn, device_id, actor=actor_of(who), reason=reason)
    return JSONResponse({"device_id": device_id, "disabled": True})


async def patch_team(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    patch: TeamPatch = parse_model(TeamPatch, await json_object(request))
    team_id = path_id(request, "team_id", "team")
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await team_project(conn, team_id))
        team = await update_team(conn, team_id, patch, actor=actor_of(who))
    return JSONResponse(team.model_dump())


async def post_region(request: Request) -> Response:
    who = principal_of(request)
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register regions")
    region: RegionIn = parse_model(RegionIn, await json_object(request))
    if not region.code.startswith(region_prefix(who.scope_id)) or region.code == who.scope_id:
        raise ForbiddenError(f"region {region.code} is not inside your region {who.scope_id}")
    async with request.app.state.pool.connection() as conn:
        parent = await conn.execute("SELECT 1 FROM regions WHERE code = %s", (region.parent_code,))
        if await parent.fetchone() is None:
            raise InvalidInputError(
                [FieldProblem("parent_code", "unknown region", "上级区划不存在")]
            )
        cursor = await conn.execute(
            "INSERT INTO regions (code, name, level, parent_code) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING code",
            (region.code, region.name, region.level, region.parent_code),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(f"region {region.code} already exists")
    return JSONResponse(region.model_dump(), status_code=201)


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[1-9][0-9]{5}$")
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(pattern="^(city|district)$")
    parent_code: str = Field(pattern=r"^[1-9][0-9]{5}$")


routes = [
    Route("/v1/regions", handles_errors(post_region), methods=["POST"]),
    Route("/v1/projects/{project_id}/devices", handles_errors(get_devices), methods=["GET"]),
    Route("/v1/devices/{device_id}/disable", handles_errors(post_device_disable), methods=["POST"]),
    Route("/v1/teams/{team_id:int}", handles_errors(patch_team), methods=["PATCH"]),
    Route("/v1/regions", handles_errors(get_regions), methods=["GET"]),
    Route("/v1/projects/{project_id}", handles_errors(patch_project), methods=["PATCH"]),
    Route("/v1/projects", handles_errors(post_project), methods=["POST"]),
    Route("/v1/projects", handles_errors(get_projects), methods=["GET"]),
    Route("/v1/projects/{project_id}", handles_errors(get_one_project), methods=["GET"]),
    Route("/v1/projects/{project_id}/teams", handles_errors(post_team), methods=["POST"]),
    Route("/v1/projects/{project_id}/teams", handles_errors(get_teams), methods=["GET"]),
    Route("/v1/teams/{team_id:int}/exit", handles_errors(post_team_exit), methods=["POST"]),
    Route("/v1/projects/{project_id}/devices", handles_errors(post_device), methods=["POST"]),
    Route("/v1/devices/{device_id}/rotate", handles_errors(post_device_rotation), methods=["POST"]),
]
