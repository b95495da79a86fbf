"""Enterprises and project participation: regulators register them within their region."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.enterprises import (
    EnterpriseIn,
    EnterprisePatch,
    ParticipationIn,
    add_participant,
    create_enterprise,
    find_enterprises,
    get_enterprise,
    update_enterprise,
)
from api.guards import actor_of, path_id, require_visible_project
from api.http import handles_errors, json_object, page_params, principal_of
from api.principal import Principal, Role, ScopeKind
from api.projects import parse_model
from infra.errors import ForbiddenError


def _regulator(who: Principal) -> None:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register enterprises and project participants")


async def post_enterprise(request: Request) -> Response:
    who = principal_of(request)
    _regulator(who)
    enterprise: EnterpriseIn = parse_model(EnterpriseIn, await json_object(request))
    async with request.app.state.pool.connection() as conn:
        created = await create_enterprise(conn, enterprise, actor=actor_of(who))
    return JSONResponse(created.model_dump(), status_code=201)


async def get_enterprises(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list enterprises")
    limit, offset = page_params(request)
    async with request.app.state.pool.connection() as conn:
        items = await find_enterprises(
            conn, name=request.query_params.get("name"), limit=limit, offset=offset
        )
    return JSONResponse(
        {"items": [item.model_dump() for item in items], "limit": limit, "offset": offset}
    )


async def post_participant(request: Request) -> Response:
    who = principal_of(request)
    _regulator(who)
    participation: ParticipationIn = parse_model(ParticipationIn, await json_object(request))
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        await add_participant(conn, project_id, participation, actor=actor_of(who))
    return JSONResponse({"project_id": project_id, **participation.model_dump()}, status_code=201)


async def get_one_enterprise(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot read enterprise records")
    async with request.app.state.pool.connection() as conn:
        enterprise = await get_enterprise(conn, path_id(request, "enterprise_id", "enterprise"))
    return JSONResponse(enterprise.model_dump())


async def patch_enterprise(request: Request) -> Response:
    who = principal_of(request)
    _regulator(who)
    patch: EnterprisePatch = parse_model(EnterprisePatch, await json_object(request))
    async with request.app.state.pool.connection() as conn:
        updated = await update_enterprise(
            conn, path_id(request, "enterprise_id", "enterprise"), patch, actor=actor_of(who)
        )
    return JSONResponse(updated.model_dump())


routes = [
    Route(
        "/v1/enterprises/{enterprise_id:int}", handles_errors(get_one_enterprise), methods=["GET"]
    ),
    Route(
        "/v1/enterprises/{enterprise_id:int}", handles_errors(patch_enterprise), methods=["PATCH"]
    ),
    Route("/v1/enterprises", handles_errors(post_enterprise), methods=["POST"]),
    Route("/v1/enterprises", handles_errors(get_enterprises), methods=["GET"]),
    Route(
        "/v1/projects/{project_id}/enterprises", handles_errors(post_participant), methods=["POST"]
    ),
]
