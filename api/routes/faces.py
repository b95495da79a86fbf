"""Face enrolment of a worker: enrol 1-5 photos, read the enrolment, remove it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth.guards import actor_of, require_project_in_scope, require_registrar
from api.dependencies import Caller, RowId, Services
from api.routes.workers import visible_worker
from api.stores.enrolment import EnrolmentIn, EnrolmentView, enrol, enrolment_of, remove

router = APIRouter(tags=["faces"])


@router.put("/v1/workers/{worker_id:int}/face", response_model=EnrolmentView)
async def put_face(
    worker_id: RowId, enrolment: EnrolmentIn, who: Caller, app: Services
) -> EnrolmentView:
    """Every photo must show exactly one face that passes the quality gate; a face that
    matches another worker of the project is refused (409)."""
    require_registrar(who, "enrol faces")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, enrolment.project_id)
        return await enrol(
            conn,
            app.faces,
            worker_id,
            enrolment,
            max_photo_bytes=app.settings.enrolment_photo_max_bytes,
            threshold=app.settings.face_threshold,
            actor=actor_of(who),
        )


@router.get("/v1/workers/{worker_id:int}/face", response_model=EnrolmentView)
async def get_face(worker_id: RowId, who: Caller, app: Services) -> EnrolmentView:
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        return await enrolment_of(conn, worker_id)


@router.delete("/v1/workers/{worker_id:int}/face", status_code=204, response_class=Response)
async def delete_face(worker_id: RowId, who: Caller, app: Services) -> Response:
    require_registrar(who, "remove face enrolments")
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        await remove(conn, worker_id, actor=actor_of(who))
    return Response(status_code=204)
