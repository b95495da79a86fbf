"""Capture snapshots, served only to callers whose scope covers their project."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.guards import require_visible_project
from api.http import handles_errors, principal_of
from infra.snapshots import SnapshotStore, project_of


async def get_snapshot(request: Request) -> Response:
    """The JPEG of a capture, for callers whose scope covers its project (404 otherwise)."""
    who = principal_of(request)
    ref = request.path_params["ref"]
    project_id = project_of(ref)
    async with request.app.state.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
    store: SnapshotStore = request.app.state.snapshots
    return Response(
        store.read(ref),
        media_type="image/jpeg",
        headers={"cache-control": "private, max-age=3600"},
    )


routes = [
    Route("/v1/snapshots/{ref:path}", handles_errors(get_snapshot), methods=["GET"]),
]
