"""Capture snapshots, served only to callers whose scope covers their project."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.auth.guards import require_visible_project
from api.dependencies import Caller, Services
from infra.snapshots import project_of

router = APIRouter(tags=["attendance"])


@router.get(
    "/v1/snapshots/{ref:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the capture's JPEG"}},
)
async def get_snapshot(ref: str, who: Caller, app: Services) -> Response:
    """The JPEG of a capture, for callers whose scope covers its project (404 otherwise)."""
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_of(ref))
    return Response(
        app.snapshots.read(ref),
        media_type="image/jpeg",
        headers={"cache-control": "private, max-age=3600"},
    )
