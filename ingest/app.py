"""The device-facing HTTP service (Starlette).

``POST /v1/passes`` takes a signed JSON batch of passes from one device. A batch is
accepted whole or rejected whole: on 4xx nothing of it was published, so the device
can fix and resend it. ``event_id`` is ``<device_id>:<serial>``, which makes a resent
batch harmless downstream.

Vendor terminals speak their own protocols: ZKTeco PUSH at ``/iclock/*``
(:mod:`ingest.zkteco_routes`), Hikvision ISAPI at ``/isapi/<serial>/events``
(:mod:`ingest.hikvision_routes`), HTTPv2 terminals at ``/Device/Keepalive`` and
``/Record/UploadIdentifyRecord`` (:mod:`ingest.httpv2_routes`); ingest holds Dahua
terminals' event streams (:mod:`ingest.dahua_connector`) and sends the roster to the
terminals it can call (:mod:`ingest.roster_push`).

``POST /v1/frames`` takes one signed capture (a base64 JPEG) from a face gate. The JPEG
is decoded here, so a broken image gets its 422 at the edge; the snapshot is stored and
the frame goes to ``gate.frames`` for matching.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.body_limit import BodyLimit
from infra.errors import (
    AuthenticationError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    TooManyAttemptsError,
)
from infra.metrics import ERRORS, EVENTS, metrics_route, observe_delay
from infra.outages import outage_response
from infra.redis_client import async_redis
from infra.settings import Settings
from infra.snapshots import SnapshotStore, project_of, snapshot_ref
from ingest.auth import DeviceAuthenticator
from ingest.dahua_connector import DahuaConnectors
from ingest.devices import DeviceCredential, DeviceDirectory
from ingest.hikvision_routes import hikvision_routes
from ingest.httpv2_routes import httpv2_routes
from ingest.producer import EventPublisher, ProjectEvent
from ingest.rate_limit import DeviceRateLimit
from ingest.roster_push import RosterPusher
from ingest.terminal_intake import Challenged, TerminalIntake, publish_heartbeat
from ingest.terminals import TerminalDirectory
from ingest.zkteco_routes import zkteco_routes
from streams.channels import device_seen_key
from streams.event_time import EventTimeWindow
from streams.faces.images import ImageDecodeError, decode_jpeg
from streams.frame_records import FrameEvent, FrameUpload, parse_frame_upload
from streams.records import HeartbeatEvent, PassEvent, parse_device_batch, parse_heartbeat
from streams.topics import DEAD_LETTER, GATE_FRAMES, GATE_HEARTBEATS, GATE_PASSES

log = logging.getLogger(__name__)
_BYTES_PER_EVENT_LIMIT = 2048
_PURGE_EVERY_S = 3600.0


class Refused(Exception):
    """Ends a request early with this response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _problem_response(status: int, error: str, problems: list[FieldProblem]) -> JSONResponse:
    return JSONResponse(
        {"error": error, "problems": [problem.as_dict() for problem in problems]},
        status_code=status,
    )


Endpoint = Callable[[Request], Awaitable[Response]]


def _refusing(endpoint: Endpoint) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Refused as refusal:
            return refusal.response

    return wrapped


async def throttled(request: Request, exc: Exception) -> Response:
    """429 for a device past its rate limit; terminals send again after Retry-After."""
    assert isinstance(exc, TooManyAttemptsError)
    body = {"error": "rate_limited", "reason": str(exc), "message_zh": exc.message_zh}
    headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(body, status_code=429, headers=headers)


async def challenged(request: Request, exc: Exception) -> Response:
    """401 with a digest challenge for a terminal that must authenticate."""
    assert isinstance(exc, Challenged)
    body = {"error": "unauthorized", "reason": str(exc), "message_zh": "设备认证失败"}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": exc.challenge})


def frame_event(
    upload: FrameUpload, *, device_id: str, project_id: str, received_at: datetime
) -> FrameEvent:
    event_id = f"{device_id}:{upload.serial}"
    return FrameEvent(
        event_id=event_id,
        device_id=device_id,
        project_id=project_id,
        direction=upload.direction,
        occurred_at=upload.occurred_at,
        received_at=received_at,
        snapshot_ref=snapshot_ref(project_id, event_id, upload.occurred_at),
        image_jpeg=upload.image_jpeg,
        claimed_worker_id=upload.claimed_worker_id,
        claimed_score=upload.claimed_score,
    )


def create_app(settings: Settings) -> Starlette:
    redis = async_redis(settings.redis_url)
    pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=4, open=False)
    authenticator = DeviceAuthenticator(
        DeviceDirectory(pool, ttl_s=settings.device_cache_ttl_s),
        redis,
        namespace=settings.namespace,
        max_skew_s=settings.device_clock_skew_s,
    )
    idempotent = settings.kafka_broker == "kafka"

    def publisher(name: str, **more: int) -> EventPublisher:
        topic = settings.topic(name)
        return EventPublisher(settings.kafka_bootstrap, topic, idempotent=idempotent, **more)

    passes = publisher(GATE_PASSES)
    frames = publisher(GATE_FRAMES, max_request_bytes=2 * settings.frame_max_bytes)
    letters = publisher(DEAD_LETTER)
    heartbeats = publisher(GATE_HEARTBEATS)
    terminals = TerminalDirectory(pool, ttl_s=settings.device_cache_ttl_s)
    rate_limit = DeviceRateLimit(
        redis, namespace=settings.namespace, per_minute=settings.device_requests_per_minute
    )
    snapshots = SnapshotStore(settings.snapshot_dir)
    intake = TerminalIntake(
        settings,
        redis=redis,
        terminals=terminals,
        passes=passes,
        letters=letters,
        heartbeats=heartbeats,
        snapshots=snapshots,
        rate_limit=rate_limit,
    )
    dahua = DahuaConnectors(intake, pool, refresh_s=settings.dahua_refresh_s)
    resend_after = timedelta(seconds=settings.roster_resend_s)
    rosters = RosterPusher(pool, every_s=settings.roster_push_s, resend_after=resend_after)
    window = EventTimeWindow.of(settings)
    max_batch_body = settings.ingest_max_batch * _BYTES_PER_EVENT_LIMIT
    # base64 grows the image by 4/3; the rest of the JSON is small.
    max_frame_body = settings.frame_max_bytes * 4 // 3 + 4096

    async def authenticated_body(request: Request) -> tuple[DeviceCredential, bytes]:
        """The body (within its path's limit: BodyLimit refused larger ones) and its device."""
        body = await request.body()
        try:
            device = await authenticator.authenticate(dict(request.headers), body)
        except AuthenticationError as exc:
            ERRORS.labels("ingest", type(exc).__name__).inc()
            raise Refused(
                JSONResponse({"error": "unauthorized", "reason": str(exc)}, status_code=401)
            ) from None
        await rate_limit.check(device.device_id, device.requests_per_minute)
        await redis.hset(device_seen_key(settings.namespace), device.device_id, str(time.time()))
        return device, body

    async def publish(publisher: EventPublisher, events: list[ProjectEvent]) -> None:
        try:
            await asyncio.wait_for(publisher.publish(events), settings.ingest_publish_timeout_s)
        except Exception as exc:
            ERRORS.labels("ingest", "kafka").inc()
            reason = f"could not publish: {type(exc).__name__}"
            body = {
                "error": "unavailable",
                "reason": reason,
                "message_zh": "服务暂不可用，请稍后重发",
            }
            # Nothing of the request was accepted: the gate keeps it and sends it again.
            raise Refused(
                JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
            ) from None

    async def post_passes(request: Request) -> Response:
        device, body = await authenticated_body(request)
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
        times = [(f"events.{i}.occurred_at", e.occurred_at) for i, e in enumerate(batch.events)]
        problems = window.problems(times, received_at)
        if problems:
            ERRORS.labels("ingest", "event_time").inc()
            return _problem_response(422, "invalid_batch", problems)
        events = [
            PassEvent.from_device(
                item,
                device_id=device.device_id,
                project_id=device.project_id,
                received_at=received_at,
            )
            for item in batch.events
        ]
        await publish(passes, list(events))
        for event in events:
            observe_delay("ingested", event.occurred_at, received_at)
        EVENTS.labels("ingest", "accepted").inc(len(events))
        return JSONResponse(
            {"accepted": len(events), "event_ids": [event.event_id for event in events]},
            status_code=202,
        )

    async def post_frame(request: Request) -> Response:
        device, body = await authenticated_body(request)
        try:
            upload, image = parse_frame_upload(body, max_image_bytes=settings.frame_max_bytes)
            await asyncio.to_thread(decode_jpeg, image)
        except InvalidInputError as exc:
            ERRORS.labels("ingest", "invalid").inc()
            return _problem_response(422, "invalid_frame", exc.problems)
        except ImageDecodeError as exc:
            ERRORS.labels("ingest", "invalid").inc()
            problem = FieldProblem("image_jpeg", str(exc), "照片无法解码")
            return _problem_response(422, "invalid_frame", [problem])
        received_at = datetime.now(UTC)
        late_or_early = window.problem("occurred_at", upload.occurred_at, received_at)
        if late_or_early is not None:
            ERRORS.labels("ingest", "event_time").inc()
            return _problem_response(422, "invalid_frame", [late_or_early])
        event = frame_event(
            upload,
            device_id=device.device_id,
            project_id=device.project_id,
            received_at=received_at,
        )
        try:
            project_of(event.snapshot_ref)
        except NotFoundError:
            # Ids registered before they had to name files; the device cannot fix this.
            ERRORS.labels("ingest", "snapshot_path").inc()
            problem = FieldProblem(
                "X-SitePulse-Device",
                "this device's or project's id cannot name a snapshot file; register the"
                " device again under an id of letters, digits and _.:-",
                "设备或项目编号无法用于保存抓拍照片，请重新登记设备",
            )
            return _problem_response(422, "invalid_frame", [problem])
        await asyncio.to_thread(snapshots.save, event.snapshot_ref, image)
        await publish(frames, [event])
        observe_delay("ingested", event.occurred_at, received_at)
        EVENTS.labels("ingest", "frame_accepted").inc()
        return JSONResponse(
            {"event_id": event.event_id, "snapshot_ref": event.snapshot_ref}, status_code=202
        )

    async def post_heartbeat(request: Request) -> Response:
        """A gate says it is alive (every minute or so); its body may be ``{}``."""
        device, body = await authenticated_body(request)
        try:
            told = parse_heartbeat(body)
        except InvalidInputError as exc:
            return _problem_response(422, "invalid_heartbeat", exc.problems)
        EVENTS.labels("ingest", "heartbeat").inc()
        beat = HeartbeatEvent(
            device_id=device.device_id,
            project_id=device.project_id,
            protocol="sitepulse",
            received_at=datetime.now(UTC),
            firmware=told.firmware,
            backlog=told.backlog,
        )
        await publish_heartbeat(heartbeats, beat, settings.ingest_publish_timeout_s)
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        await redis.ping()
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "service": "ingest"})

    async def purge_snapshots() -> None:
        """Delete snapshots past their retention, hourly (ingest is the one that writes them)."""
        while True:
            retention = timedelta(days=settings.snapshot_retention_days)
            oldest_kept = (datetime.now(UTC) - retention).date()
            try:
                removed = await asyncio.to_thread(snapshots.purge_before, oldest_kept)
                if removed:
                    log.info("purged %d day folders of snapshots before %s", removed, oldest_kept)
            except OSError:
                ERRORS.labels("ingest", "snapshot_purge").inc()
                log.exception("purging snapshots failed")
            await asyncio.sleep(_PURGE_EVERY_S)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open()
        await passes.start()
        await frames.start()
        await letters.start()
        await heartbeats.start()
        purger = asyncio.create_task(purge_snapshots())
        connectors = asyncio.create_task(dahua.run(), name="dahua-connectors")
        pusher = asyncio.create_task(rosters.run(), name="roster-pusher")
        try:
            yield
        finally:
            for task in (purger, connectors, pusher):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await heartbeats.stop()
            await letters.stop()
            await frames.stop()
            await passes.stop()
            await pool.close()
            await redis.aclose()

    photo_post = settings.frame_max_bytes + 64 * 1024
    limits = {
        "/v1/passes": max_batch_body,
        "/v1/frames": max_frame_body,
        "/iclock/cdata": max(photo_post, 1 << 20),
        "/iclock/devicecmd": 64 * 1024,
        "/Record/UploadIdentifyRecord": photo_post,
    }

    def limit_for(path: str) -> int:
        """/isapi/<serial>/events carries a picture; heartbeats and the rest: 4 KiB."""
        return photo_post if path.startswith("/isapi/") else limits.get(path, 4096)

    return Starlette(
        middleware=[Middleware(BodyLimit, limit_for=limit_for)],
        exception_handlers={
            TooManyAttemptsError: throttled,
            Challenged: challenged,
            Exception: outage_response,
        },
        routes=[
            Route("/v1/passes", _refusing(post_passes), methods=["POST"]),
            Route("/v1/frames", _refusing(post_frame), methods=["POST"]),
            Route("/v1/heartbeats", _refusing(post_heartbeat), methods=["POST"]),
            *zkteco_routes(intake, pool, resend_after=resend_after),
            *hikvision_routes(intake),
            *httpv2_routes(intake),
            Route("/healthz", healthz),
            metrics_route(),
        ],
        lifespan=lifespan,
    )
