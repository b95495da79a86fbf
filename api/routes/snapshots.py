"""Capture snapshots, served only to callers whose scope covers their project, and to a
worker for their own passes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from analytics.attendance_queries import is_own_snapshot
from api.auth.guards import require_visible_project
from api.auth.principal import ScopeKind
from api.dependencies import Caller, Services
from infra.errors import NotFoundError
from infra.snapshots import project_of

router = APIRouter(tags=["attendance"])


@router.get(
    "/v1/snapshots/{ref:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the capture's JPEG"}},
)
async def get_snapshot(ref: str, who: Caller, app: Services) -> Response:
    """The JPEG of a capture, for callers whose scope covers its project, or the worker it
    shows (404 otherwise)."""
    project_id = project_of(ref)
    if who.scope_kind is ScopeKind.WORKER:
        if not await app.clickhouse.run(is_own_snapshot, who.scope_id, project_id, ref):
            raise NotFoundError(f"no snapshot {ref!r}")
    else:
        async with app.pool.connection() as conn:
            await require_visible_project(conn, who, project_id)
    return Response(
        app.snapshots.read(ref),
        media_type="image/jpeg",
        headers={"cache-control": "private, max-age=3600"},
    )
