"""The people-facing REST API (Starlette): accounts and the worker registry so far."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import ExecutorPool
from api import (
    routes_alerts,
    routes_attendance,
    routes_auth,
    routes_devices,
    routes_enterprises,
    routes_faces,
    routes_invitations,
    routes_key_positions,
    routes_preferences,
    routes_project_changes,
    routes_projects,
    routes_regions,
    routes_snapshots,
    routes_teams,
    routes_users,
    routes_workers,
)
from api.account_states import AccountStates, RevokedTokens
from api.login_guard import LoginGuard
from api.openapi import openapi_document
from api.outbox import OutboxPublisher
from api.tokens import TokenIssuer
from infra.body_limit import BodyLimit
from infra.errors import SettingsError
from infra.metrics import metrics_route
from infra.outages import outage_response
from infra.redis_client import async_redis
from infra.settings import Settings
from infra.snapshots import SnapshotStore
from streams.faces.pipeline import FaceEngine
from streams.topics import REGISTRY

log = logging.getLogger(__name__)


async def _not_found(request: Request, exc: Exception) -> Response:
    body = {
        "error": "not_found",
        "reason": f"no such resource: {request.url.path}",
        "message_zh": "未找到",
    }
    return JSONResponse(body, status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    body = {
        "error": "method_not_allowed",
        "reason": f"{request.method} is not allowed here",
        "message_zh": "不支持此请求方法",
    }
    return JSONResponse(body, status_code=405)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("face models not loaded: %s", task.exception())


_FACE_ENROLMENT = re.compile(r"^/v1/workers/[^/]+/face$")


def body_limits(settings: Settings) -> Callable[[str], int]:
    """The largest body each path takes: face enrolment carries up to five base64 photos."""
    enrolment = 5 * settings.enrolment_photo_max_bytes * 4 // 3 + 64 * 1024

    def limit_for(path: str) -> int:
        if _FACE_ENROLMENT.match(path):
            return max(enrolment, settings.api_max_body_bytes)
        return settings.api_max_body_bytes

    return limit_for


def create_app(settings: Settings) -> Starlette:
    if settings.token_secret is None:
        raise SettingsError("SITEPULSE_TOKEN_SECRET is required by the api service")
    pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=8, open=False)
    outbox = OutboxPublisher(pool, settings.kafka_bootstrap, settings.topic(REGISTRY))
    redis = async_redis(settings.redis_url)
    tokens = TokenIssuer(settings.token_secret, ttl_s=settings.token_ttl_s)
    account_states = AccountStates(pool, ttl_s=settings.token_check_ttl_s)

    async def healthz(request: Request) -> Response:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "service": "api"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        await outbox.start()
        # Load the face models in the background; an enrolment before then waits for them.
        warm_up = asyncio.create_task(asyncio.to_thread(app.state.faces.ready))
        warm_up.add_done_callback(_log_failure)
        try:
            yield
        finally:
            await outbox.stop()
            await pool.close()
            await redis.aclose()

    document = openapi_document()

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/openapi.json", openapi),
            metrics_route(),
            *routes_auth.routes,
            *routes_workers.routes,
            *routes_projects.routes,
            *routes_teams.routes,
            *routes_devices.routes,
            *routes_regions.routes,
            *routes_key_positions.routes,
            *routes_invitations.routes,
            *routes_enterprises.routes,
            *routes_users.routes,
            *routes_faces.routes,
            *routes_snapshots.routes,
            *routes_attendance.routes,
            *routes_alerts.routes,
            *routes_preferences.routes,
            *routes_project_changes.routes,
        ],
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed, Exception: outage_response},
        # The dashboard pages are served by the realtime service, on another port.
        # CORS outermost, so that refusals (413, 401) reach the dashboard pages readable.
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["authorization", "content-type"],
            ),
            Middleware(BodyLimit, limit_for=body_limits(settings)),
            Middleware(RevokedTokens, tokens=tokens, states=account_states),
        ],
    )
    app.state.pool = pool
    app.state.settings = settings
    app.state.faces = FaceEngine(settings.model_dir.resolve())
    app.state.snapshots = SnapshotStore(settings.snapshot_dir)
    app.state.clickhouse = ExecutorPool(lambda: connect_clickhouse(settings.clickhouse_url))
    app.state.redis = redis
    app.state.tokens = tokens
    app.state.account_states = account_states
    app.state.login_guard = LoginGuard(redis, settings)
    return app
