"""Teams (班组) of a project: create, list, rename, and exit a whole team at once."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.guards import actor_of, path_id, require_registrar, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.principal import ScopeKind
from api.projects import (
    TeamIn,
    TeamPatch,
    create_team,
    exit_team,
    list_teams,
    parse_model,
    team_project,
    update_team,
)
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError


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


async def patch_team(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "change project rosters or devices")
    patch: TeamPatch = parse_model(TeamPatch, await json_object(request))
    team_id = path_id(request, "team_id", "team")
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await team_project(conn, team_id))
        team = await update_team(conn, team_id, patch, actor=actor_of(who))
    return JSONResponse(team.model_dump())


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


routes = [
    Route("/v1/teams/{team_id:int}", handles_errors(patch_team), methods=["PATCH"]),
    Route("/v1/projects/{project_id}/teams", handles_errors(post_team), methods=["POST"]),
    Route("/v1/projects/{project_id}/teams", handles_errors(get_teams), methods=["GET"]),
    Route("/v1/teams/{team_id:int}/exit", handles_errors(post_team_exit), methods=["POST"]),
]
