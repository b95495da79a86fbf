"""A project's gates: register (the secret is shown once), list, rotate the secret, disable."""

from __future__ import annotations

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
from api.guards import actor_of, require_registrar, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.principal import ScopeKind
from api.projects import parse_model
from infra.errors import ConfirmationRequiredError, FieldProblem, ForbiddenError, InvalidInputError


async def get_devices(request: Request) -> Response:
    who = principal_of(request)
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers cannot list devices")
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        items = await list_devices(conn, project_id)
    return JSONResponse({"items": [item.model_dump() for item in items]})


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


routes = [
    Route("/v1/projects/{project_id}/devices", handles_errors(get_devices), methods=["GET"]),
    Route("/v1/devices/{device_id}/disable", handles_errors(post_device_disable), methods=["POST"]),
    Route("/v1/projects/{project_id}/devices", handles_errors(post_device), methods=["POST"]),
    Route("/v1/devices/{device_id}/rotate", handles_errors(post_device_rotation), methods=["POST"]),
]
