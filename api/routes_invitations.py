"""Entry invitations: a project invites a registered worker, who accepts or declines."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.guards import actor_of, path_id, require_registrar, require_visible_project
from api.http import handles_errors, json_object, principal_of
from api.invitations import InvitationIn, invitations_of, invite, respond
from api.principal import Principal, ScopeKind
from api.projects import parse_model
from infra.errors import ForbiddenError, NotFoundError


async def post_invitation(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "make this request")
    body: InvitationIn = parse_model(InvitationIn, await json_object(request))
    project_id = request.path_params["project_id"]
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        created = await invite(conn, project_id, body, actor=actor_of(who))
    return JSONResponse(created.model_dump(), status_code=201)


def _worker_of(who: Principal) -> int:
    if who.scope_kind is not ScopeKind.WORKER:
        raise ForbiddenError("only the invited worker can see or answer invitations")
    return int(who.scope_id)


async def get_my_invitations(request: Request) -> Response:
    worker_id = _worker_of(principal_of(request))
    async with request.app.state.pool.connection() as conn:
        items = await invitations_of(conn, worker_id)
    return JSONResponse({"items": [item.model_dump() for item in items]})


async def post_invitation_answer(request: Request) -> Response:
    worker_id = _worker_of(principal_of(request))
    answer = request.path_params["answer"]
    if answer not in ("accept", "decline"):
        raise NotFoundError(f"no such answer {answer!r}: use accept or decline")
    accept = answer == "accept"
    invitation_id = path_id(request, "invitation_id", "invitation")
    async with request.app.state.pool.connection() as conn:
        answered = await respond(conn, invitation_id, worker_id, accept=accept)
    return JSONResponse(answered.model_dump())


routes = [
    Route(
        "/v1/projects/{project_id}/invitations", handles_errors(post_invitation), methods=["POST"]
    ),
    Route("/v1/me/invitations", handles_errors(get_my_invitations), methods=["GET"]),
    Route(
        "/v1/invitations/{invitation_id:int}/{answer:str}",
        handles_errors(post_invitation_answer),
        methods=["POST"],
    ),
]
