"""Face enrolment of a worker: enrol 1-5 photos, read the enrolment, remove it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.access import can_access_worker
from api.enrolment import EnrolmentIn, enrol, enrolment_of, remove
from api.guards import actor_of, path_id, require_project_in_scope, require_registrar
from api.http import handles_errors, json_object, principal_of
from api.projects import parse_model
from infra.errors import NotFoundError


async def _visible_worker(request: Request) -> int:
    worker_id = path_id(request, "worker_id", "worker")
    async with request.app.state.pool.connection() as conn:
        if not await can_access_worker(conn, principal_of(request), worker_id):
            raise NotFoundError(f"worker {worker_id} does not exist")
    return worker_id


async def put_face(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "enrol faces")
    worker_id = path_id(request, "worker_id", "worker")
    enrolment: EnrolmentIn = parse_model(EnrolmentIn, await json_object(request))
    settings = request.app.state.settings
    async with request.app.state.pool.connection() as conn:
        await require_project_in_scope(conn, who, enrolment.project_id)
        view = await enrol(
            conn,
            request.app.state.faces,
            worker_id,
            enrolment,
            max_photo_bytes=settings.enrolment_photo_max_bytes,
            threshold=settings.face_threshold,
            actor=actor_of(who),
        )
    return JSONResponse(view.model_dump(mode="json"))


async def get_face(request: Request) -> Response:
    worker_id = await _visible_worker(request)
    async with request.app.state.pool.connection() as conn:
        view = await enrolment_of(conn, worker_id)
    return JSONResponse(view.model_dump(mode="json"))


async def delete_face(request: Request) -> Response:
    who = principal_of(request)
    require_registrar(who, "remove face enrolments")
    worker_id = await _visible_worker(request)
    async with request.app.state.pool.connection() as conn:
        await remove(conn, worker_id, actor=actor_of(who))
    return Response(status_code=204)


routes = [
    Route("/v1/workers/{worker_id:int}/face", handles_errors(put_face), methods=["PUT"]),
    Route("/v1/workers/{worker_id:int}/face", handles_errors(get_face), methods=["GET"]),
    Route("/v1/workers/{worker_id:int}/face", handles_errors(delete_face), methods=["DELETE"]),
]
