"""Project change requests: the regulated side's requests to suspend, complete or move the
briefing date of a project, and the regulators' decisions on them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.access import can_access_project
from api.guards import actor_of, path_id
from api.http import handles_errors, json_object, principal_of
from api.principal import Role
from api.project_changes import decide, get_request, pending_requests
from api.projects import scope_filter
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError, NotFoundError


async def list_pending(request: Request) -> Response:
    """Requests waiting for a regulator, for the projects in the caller's scope."""
    who = principal_of(request)
    if who.role is Role.WORKER:
        raise ForbiddenError("workers have no project change requests")
    condition, params = scope_filter(who)
    async with request.app.state.pool.connection() as conn:
        cursor = await conn.execute(
            f"SELECT p.project_id FROM projects p WHERE {condition}", params
        )
        projects = [row[0] for row in await cursor.fetchall()]
        items = await pending_requests(conn, projects)
    return JSONResponse({"items": [item.model_dump(mode="json") for item in items]})


async def post_decision(request: Request) -> Response:
    """A regulator of the project's region approves or rejects, giving the reason."""
    who = principal_of(request)
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only a regulator of the project's region decides change requests")
    request_id = path_id(request, "request_id", "change request")
    body = await json_object(request)
    approve, reason = body.get("approve"), body.get("reason")
    problems = []
    if not isinstance(approve, bool):
        problems.append(FieldProblem("approve", "must be true or false", "请选择批准或驳回"))
    if not isinstance(reason, str) or not 1 <= len(reason.strip()) <= 500:
        problems.append(FieldProblem("reason", "1 to 500 characters", "请填写审批意见"))
    if problems:
        raise InvalidInputError(problems)
    assert isinstance(approve, bool) and isinstance(reason, str)
    async with request.app.state.pool.connection() as conn:
        pending = await get_request(conn, request_id)
        if not await can_access_project(conn, who, pending.project_id):
            raise NotFoundError(f"change request {request_id} does not exist")
        decided = await decide(
            conn, request_id, approve=approve, reason=reason.strip(), actor=actor_of(who)
        )
    return JSONResponse(decided.model_dump(mode="json"))


routes = [
    Route("/v1/project-change-requests", handles_errors(list_pending), methods=["GET"]),
    Route(
        "/v1/project-change-requests/{request_id:int}/decision",
        handles_errors(post_decision),
        methods=["POST"],
    ),
]
