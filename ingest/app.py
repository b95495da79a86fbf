"""The device-facing HTTP service (Starlette).

``POST /v1/passes`` takes a signed JSON batch of passes from one device. A batch is
accepted whole or rejected whole: on 4xx nothing of it was published, so the device
can fix and resend it. ``event_id`` is ``<device_id>:<serial>``, which makes a resent
batch harmless downstream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.errors import AuthenticationError, FieldProblem, InvalidInputError
from infra.metrics import ERRORS, EVENTS, metrics_route, observe_delay
from infra.settings import Settings
from ingest.auth import DeviceAuthenticator
from ingest.devices import DeviceDirectory
from ingest.producer import PassPublisher
from streams.records import PassEvent, parse_device_batch
from streams.topics import GATE_PASSES

_BYTES_PER_EVENT_LIMIT = 2048


def _problem_response(status: int, error: str, problems: list[FieldProblem]) -> JSONResponse:
    return JSONResponse(
        {"error": error, "problems": [problem.as_dict() for problem in problems]},
        status_code=status,
    )


def create_app(settings: Settings) -> Starlette:
    redis = Redis.from_url(settings.redis_url)
    pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=4, open=False)
    authenticator = DeviceAuthenticator(
        DeviceDirectory(pool, ttl_s=settings.device_cache_ttl_s),
        redis,
        namespace=settings.namespace,
        max_skew_s=settings.device_clock_skew_s,
    )
    publisher = PassPublisher(settings.kafka_bootstrap, settings.topic(GATE_PASSES))
    max_body = settings.ingest_max_batch * _BYTES_PER_EVENT_LIMIT

    async def post_passes(request: Request) -> Response:
        body = await request.body()
        if len(body) > max_body:
            ERRORS.labels("ingest", "too_large").inc()
            return _problem_response(
                413,
                "payload_too_large",
                [FieldProblem("body", f"body exceeds {max_body} bytes", "请求体过大")],
            )
        try:
            device = await authenticator.authenticate(dict(request.headers), body)
        except AuthenticationError as exc:
            ERRORS.labels("ingest", type(exc).__name__).inc()
            return JSONResponse({"error": "unauthorized", "reason": str(exc)}, status_code=401)
        try:
            batch = parse_device_batch(body)
        except InvalidInputError as exc:
            ERRORS.labels("ingest", "invalid").inc()
            return _problem_response(422, "invalid_batch", exc.problems)
        if len(batch.events) > settings.ingest_max_batch:
            limit = settings.ingest_max_batch
            problem = FieldProblem("events", f"at most {limit} events per batch", "单批事件过多")
            return _problem_response(422, "invalid_batch", [problem])
        received_at = datetime.now(UTC)
        events = [
            PassEvent.from_device(
                item,
                device_id=device.device_id,
                project_id=device.project_id,
                received_at=received_at,
            )
            for item in batch.events
        ]
        try:
            await publisher.publish(events)
        except Exception as exc:
            ERRORS.labels("ingest", "kafka").inc()
            reason = f"could not publish: {type(exc).__name__}"
            return JSONResponse({"error": "unavailable", "reason": reason}, status_code=503)
        for event in events:
            observe_delay("ingested", event.occurred_at, received_at)
        EVENTS.labels("ingest", "accepted").inc(len(events))
        return JSONResponse(
            {"accepted": len(events), "event_ids": [event.event_id for event in events]},
            status_code=202,
        )

    async def healthz(request: Request) -> Response:
        await redis.ping()
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "service": "ingest"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        await publisher.start()
        try:
            yield
        finally:
            await publisher.stop()
            await pool.close()
            await redis.aclose()

    return Starlette(
        routes=[
            Route("/v1/passes", post_passes, methods=["POST"]),
            Route("/healthz", healthz),
            metrics_route(),
        ],
        lifespan=lifespan,
    )
