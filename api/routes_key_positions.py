"""Key positions (关键岗位): entry and exit requested on site, decided by a regulator."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.guards import actor_of, path_id, require_registrar, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.key_positions import KeyPositionIn, decide, list_positions, position_project
from api.key_positions import request_entry as request_key_entry
from api.key_positions import request_exit as request_key_exit
from api.principal import Role, ScopeKind
from api.projects import parse_model
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError


async def post_key_position(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "make this request")
    body: KeyPositionIn = parse_model(KeyPositionIn, await json_object(request))
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        created = await request_key_entry(conn, project_id, body, actor=actor_of(who))
    return JSONResponse(created.model_dump(), status_code=201)


async def get_key_positions(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list key positions")
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        items = await list_positions(conn, project_id)
    return JSONResponse({"items": [item.model_dump() for item in items]})


async def post_key_position_exit(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "make this request")
    reason = str((await json_object(request)).get("reason") or "").strip()
    if not reason:
        raise InvalidInputError([FieldProblem("reason", "required", "离岗原因必填")])
    position_id = path_id(request, "position_id", "key position")
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await position_project(conn, position_id))
        updated = await request_key_exit(conn, position_id, actor=actor_of(who), reason=reason)
    return JSONResponse(updated.model_dump())


async def post_key_position_decision(request: Request) -> Response:
    who = principal_of(request)
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators approve key-position entries and exits")
    body = await json_object(request)
    if body.get("decision") not in ("approve", "reject"):
        problem = FieldProblem("decision", "must be 'approve' or 'reject'", "请选择同意或驳回")
        raise InvalidInputError([problem])
    position_id = path_id(request, "position_id", "key position")
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, await position_project(conn, position_id))
        updated = await decide(
            conn,
            position_id,
            approve=body["decision"] == "approve",
            actor=actor_of(who),
            reason=str(body.get("reason") or ""),
        )
    return JSONResponse(updated.model_dump())


routes = [
    Route(
        "/v1/projects/{project_id}/key-positions",
        handles_errors(post_key_position),
        methods=["POST"],
    ),
    Route(
        "/v1/projects/{project_id}/key-positions",
        handles_errors(get_key_positions),
        methods=["GET"],
    ),
    Route(
        "/v1/key-positions/{position_id:int}/exit-request",
        handles_errors(post_key_position_exit),
        methods=["POST"],
    ),
    Route(
        "/v1/key-positions/{position_id:int}/decision",
        handles_errors(post_key_position_decision),
        methods=["POST"],
    ),
]
