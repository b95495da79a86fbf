"""The people-facing REST API (Starlette). Registry, auth and queries grow here (issue 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.metrics import metrics_route
from infra.settings import Settings


def create_app(settings: Settings) -> Starlette:
    pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=8, open=False)

    async def healthz(request: Request) -> Response:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "service": "api"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        try:
            yield
        finally:
            await pool.close()

    return Starlette(routes=[Route("/healthz", healthz), metrics_route()], lifespan=lifespan)
