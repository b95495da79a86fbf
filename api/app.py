"""The people-facing REST API: FastAPI on Starlette, one router per resource."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from psycopg_pool import AsyncConnectionPool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import ExecutorPool
from api.auth.account_states import AccountStates, RevokedTokens
from api.auth.login_guard import LoginGuard
from api.auth.recent_proofs import RecentProofs
from api.auth.tokens import TokenIssuer
from api.dependencies import AppServices, refuse_nul
from api.docs import add_docs
from api.errors import COMMON_REFUSALS, EXCEPTION_HANDLERS
from api.payroll.sealing import DataSealer
from api.routes import (
    alert_rules,
    alerts,
    attendance,
    auth,
    bank_cards,
    contracts,
    device_status,
    devices,
    enterprises,
    face_login,
    faces,
    invitations,
    key_positions,
    mobile_clock_in,
    notices,
    pay,
    pay_disputes,
    payroll_passwords,
    payroll_sheets,
    preferences,
    project_changes,
    projects,
    qr_sign_in,
    regions,
    snapshots,
    teams,
    training,
    users,
    wage_accounts,
    wages,
    worker_account,
    worker_duties,
    workers,
)
from api.stores.outbox import OutboxPublisher
from infra.body_limit import BodyLimit
from infra.errors import SettingsError
from infra.metrics import metrics_route
from infra.redis_client import async_redis
from infra.settings import Settings
from infra.snapshots import SnapshotStore
from streams.faces.pipeline import FaceEngine

log = logging.getLogger(__name__)

#: Every router of the API, by resource; a test checks each route is in the document.
ROUTERS = [
    auth.router,
    users.router,
    workers.router,
    contracts.router,
    faces.router,
    projects.router,
    project_changes.router,
    teams.router,
    devices.router,
    device_status.router,
    regions.router,
    enterprises.router,
    key_positions.router,
    invitations.router,
    attendance.router,
    snapshots.router,
    alerts.router,
    alert_rules.router,
    preferences.router,
    payroll_passwords.router,
    wage_accounts.router,
    payroll_sheets.router,
    pay_disputes.router,
    bank_cards.router,
    pay.router,
    notices.router,
    mobile_clock_in.router,
    qr_sign_in.router,
    wages.router,
    training.router,
    face_login.router,
    worker_account.router,
    worker_duties.router,
]


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("face models not loaded: %s", task.exception())


_FACE_ENROLMENT = re.compile(r"^/v1/workers/[^/]+/face$")
_SELFIE = re.compile(r"^/v1/me/bank-card/rebind$")
_LIVE_FACE = re.compile(
    r"^/v1/(me/clock-ins|me/courses/[^/]+/studies|me/studies/[^/]+/finish"
    r"|auth/face-login|auth/password-reset|invitations/[^/]+/accept)$"
)
_QR_SCAN = re.compile(r"^/v1/(me|projects/[^/]+)/qr-sign-ins$")
_PAYROLL_FILE = re.compile(r"^/v1/payroll/sheets/[^/]+/(table|signed-scan|bank-return)$")


def body_limits(settings: Settings) -> Callable[[str], int]:
    """The largest body each path takes: face enrolment carries up to five base64 photos, a
    rebind one selfie, a live face check (clock-in, training) two frames, and payroll steps
    their files (a signed scan, a table, a return)."""
    photo = settings.enrolment_photo_max_bytes * 4 // 3 + 64 * 1024

    def limit_for(path: str) -> int:
        if _FACE_ENROLMENT.match(path):
            return max(5 * photo, settings.api_max_body_bytes)
        if _SELFIE.match(path):
            return max(photo, settings.api_max_body_bytes)
        if _LIVE_FACE.match(path):  # two camera frames
            return max(2 * photo, settings.api_max_body_bytes)
        if _QR_SCAN.match(path):  # a camera frame with a QR code in it
            return max(photo, settings.api_max_body_bytes)
        if _PAYROLL_FILE.match(path):
            return max(settings.payroll_max_file_bytes, settings.api_max_body_bytes)
        return settings.api_max_body_bytes

    return limit_for


def create_app(settings: Settings) -> FastAPI:
    if settings.token_secret is None:
        raise SettingsError("SITEPULSE_TOKEN_SECRET is required by the api service")
    if settings.data_key is None:
        raise SettingsError("SITEPULSE_DATA_KEY is required by the api service (card numbers)")
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        settings.postgres_dsn, min_size=1, max_size=8, open=False
    )
    outbox = OutboxPublisher(pool, settings.kafka_bootstrap, settings.topic)
    redis = async_redis(settings.redis_url)
    tokens = TokenIssuer(settings.token_secret, ttl_s=settings.token_ttl_s)
    account_states = AccountStates(pool, ttl_s=settings.token_check_ttl_s)
    services = AppServices(
        settings=settings,
        pool=pool,
        clickhouse=ExecutorPool(lambda: connect_clickhouse(settings.clickhouse_url)),
        redis=redis,
        tokens=tokens,
        account_states=account_states,
        login_guard=LoginGuard(redis, settings),
        payroll_proofs=RecentProofs(ttl_s=settings.payroll_proof_ttl_s),
        faces=FaceEngine(settings.model_dir.resolve(), provider=settings.face_provider),
        snapshots=SnapshotStore(settings.snapshot_dir),
        sealer=DataSealer(settings.data_key),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open()
        await outbox.start()
        # Load the face models in the background; an enrolment before then waits for them.
        warm_up = asyncio.create_task(asyncio.to_thread(services.faces.ready))
        warm_up.add_done_callback(_log_failure)
        try:
            yield
        finally:
            await outbox.stop()
            await pool.close()
            await redis.aclose()

    app = FastAPI(
        title="SitePulse people's API",
        version="0.1.0",
        summary="实名制与工资监管平台 — 人员、项目、考勤、告警",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        exception_handlers=EXCEPTION_HANDLERS,
        # The dashboard pages are served by the realtime service, on another port.
        # CORS outermost, so that refusals (413, 401) reach the dashboard pages readable.
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["authorization", "content-type", "x-payroll-password"],
            ),
            Middleware(BodyLimit, limit_for=body_limits(settings)),
            Middleware(RevokedTokens, tokens=tokens, states=account_states),
        ],
    )
    app.state.services = services
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(refuse_nul)], responses=COMMON_REFUSALS)
    add_docs(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> Response:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "service": "api"})

    app.router.routes.append(metrics_route())
    return app
