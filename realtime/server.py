"""The realtime service: Redis pub/sub in, authenticated WebSocket dashboards out.

One port serves ``/ws`` (WebSocket: the first message subscribes with an API token, see
:mod:`realtime.subscriptions`), the dashboard pages (``/``, ``/project.html``,
``/region.html``, ``/worker.html``, ``/payroll.html``, ``/pay.html``, ``/wages.html``,
``/devices.html``, ``/signin.html``, the ECharts file under ``/vendor/``), ``/healthz``
and ``/metrics``.
Several realtime processes can serve one stream: each relays every project channel from
Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import resources
from typing import Any, cast
from urllib.parse import urlsplit

from prometheus_client import Gauge
from psycopg_pool import AsyncConnectionPool
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from alerts.audience import workers_of_alert
from api.auth.access import can_access_project, can_access_worker
from api.auth.account_states import AccountStates
from api.auth.principal import Principal
from api.auth.tokens import TokenIssuer
from infra.errors import AuthenticationError, ForbiddenError, InvalidInputError, SettingsError
from infra.metrics import ERRORS, EVENTS, exposition
from infra.redis_client import async_redis
from infra.retry import keep_running
from infra.settings import Settings
from realtime.coalescer import Coalescer
from realtime.hub import DROPPED_NOTICE, Hub, Peer, Subscription
from realtime.replay import ReplayBuffer
from realtime.subscriptions import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHORIZED,
    Channel,
    ChannelKind,
    SubscribeRequest,
    authorize,
    parse_subscribe,
    region_channels,
)
from streams.channels import presence_key, project_channel_pattern, project_of_channel
from streams.live_messages import (
    AlertMessage,
    NotificationMessage,
    PassMessage,
    PayMessage,
    PresenceMessage,
    parse_live,
    to_text,
)

log = logging.getLogger(__name__)
CLIENTS = Gauge("sitepulse_realtime_clients", "Connected WebSocket clients")
PAGES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/project.html": ("project.html", "text/html; charset=utf-8"),
    "/region.html": ("region.html", "text/html; charset=utf-8"),
    "/worker.html": ("worker.html", "text/html; charset=utf-8"),
    "/payroll.html": ("payroll.html", "text/html; charset=utf-8"),
    "/pay.html": ("pay.html", "text/html; charset=utf-8"),
    "/wages.html": ("wages.html", "text/html; charset=utf-8"),
    "/devices.html": ("devices.html", "text/html; charset=utf-8"),
    "/signin.html": ("signin.html", "text/html; charset=utf-8"),
    "/training.html": ("training.html", "text/html; charset=utf-8"),
    "/courses.html": ("courses.html", "text/html; charset=utf-8"),
    "/employment.html": ("employment.html", "text/html; charset=utf-8"),
    "/duties.html": ("duties.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    # The worker app is installable: its manifest, icon and service worker (Web Push).
    "/manifest.webmanifest": ("manifest.webmanifest", "application/manifest+json"),
    "/icon.svg": ("icon.svg", "image/svg+xml"),
    "/sw.js": ("sw.js", "text/javascript; charset=utf-8"),
}
VENDOR = {"/vendor/echarts.min.js": "echarts.min.js"}
_SUBSCRIBE_WITHIN_S = 10.0
_REGION_CACHE_S = 300.0


def _http(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


class DashboardConnection(ServerConnection):
    """A server connection that can say how far behind its reader is (for the hub)."""

    def buffered_bytes(self) -> int:
        return int(self.transport.get_write_buffer_size())


def _broadcast(peers: Iterable[Peer], message: str) -> None:
    broadcast(cast("Iterable[DashboardConnection]", peers), message)


def _notice(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, ensure_ascii=False, separators=(",", ":"))


class RealtimeService:
    def __init__(self, settings: Settings) -> None:
        if settings.token_secret is None:
            raise SettingsError("SITEPULSE_TOKEN_SECRET is required by the realtime service")
        self._settings = settings
        self._redis = async_redis(settings.redis_url)
        self._pool = AsyncConnectionPool(settings.postgres_dsn, min_size=1, max_size=4, open=False)
        self._tokens = TokenIssuer(settings.token_secret, ttl_s=settings.token_ttl_s)
        self._accounts = AccountStates(self._pool, ttl_s=settings.token_check_ttl_s)
        self.hub = Hub(max_buffer_bytes=settings.realtime_client_buffer_bytes, broadcast=_broadcast)
        self._replay = ReplayBuffer()
        self._coalescer = Coalescer(interval_s=settings.realtime_coalesce_s)
        self._regions: dict[str, tuple[str | None, float]] = {}
        folder = resources.files("realtime").joinpath("pages")
        self._pages = {
            path: (folder.joinpath(name).read_bytes(), kind) for path, (name, kind) in PAGES.items()
        }

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        path = urlsplit(request.path).path
        if path == "/ws":
            return None  # proceed with the WebSocket handshake
        if path == "/healthz":
            await self._redis.ping()
            body = json.dumps({"status": "ok", "service": "realtime"}).encode()
            return _http(HTTPStatus.OK, body, "application/json")
        if path == "/metrics":
            body, content_type = exposition()
            return _http(HTTPStatus.OK, body, content_type)
        if path == "/config.js":
            host = request.headers.get("Host", "").rsplit(":", 1)[0] or self._settings.bind_host
            api = self._settings.public_api_url or f"http://{host}:{self._settings.api_port}"
            body = f"window.SITEPULSE = {json.dumps({'api': api})};\n".encode()
            return _http(HTTPStatus.OK, body, "text/javascript; charset=utf-8")
        if path in self._pages:
            body, content_type = self._pages[path]
            return _http(HTTPStatus.OK, body, content_type)
        if path in VENDOR:  # fetched from the npm registry by scripts/install
            asset = self._settings.web_assets_dir.resolve() / VENDOR[path]
            if asset.is_file():
                return _http(HTTPStatus.OK, asset.read_bytes(), "text/javascript; charset=utf-8")
        return _http(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    async def _can_see_project(self, who: Principal, project_id: str) -> bool:
        async with self._pool.connection() as conn:
            return await can_access_project(conn, who, project_id)

    async def _can_see_worker(self, who: Principal, worker_id: int) -> bool:
        async with self._pool.connection() as conn:
            return await can_access_worker(conn, who, worker_id)

    async def _subscribe_request(self, websocket: ServerConnection) -> SubscribeRequest | None:
        """The client's validated, authorized first message, or None after closing."""
        try:
            raw = await asyncio.wait_for(websocket.recv(), _SUBSCRIBE_WITHIN_S)
            request = parse_subscribe(raw)
            who = self._tokens.verify(request.token)
            if who.user_id != 0:  # 0: the tools' viewer tokens, which belong to no account
                await self._accounts.check(who)
            await authorize(
                who,
                request.channel,
                can_see_project=self._can_see_project,
                can_see_worker=self._can_see_worker,
            )
            return request
        except TimeoutError:
            await websocket.close(CLOSE_BAD_REQUEST, "send a subscribe message first")
        except InvalidInputError as exc:
            await websocket.close(CLOSE_BAD_REQUEST, str(exc)[:120])
        except AuthenticationError as exc:
            await websocket.close(CLOSE_UNAUTHORIZED, str(exc)[:120])
        except ForbiddenError as exc:
            await websocket.close(CLOSE_FORBIDDEN, str(exc)[:120])
        ERRORS.labels("realtime", "subscribe_refused").inc()
        return None

    async def _handle(self, websocket: ServerConnection) -> None:
        assert isinstance(websocket, DashboardConnection)
        with contextlib.suppress(ConnectionClosed):
            request = await self._subscribe_request(websocket)
            if request is None:
                return
            channel = str(request.channel)
            subscription = self.hub.subscribe(channel, websocket)
            CLIENTS.inc()
            try:
                await websocket.send(_notice("subscribed", channel=channel))
                await self._send_initial(websocket, request)
                # Written at once, before any live message can get ahead of them.
                for message in self.hub.go_live(subscription):
                    _broadcast([websocket], message)
                await self._until_closed(websocket, subscription)
            finally:
                self.hub.unsubscribe(subscription)
                CLIENTS.dec()

    async def _send_initial(self, websocket: ServerConnection, request: SubscribeRequest) -> None:
        """Current presence (project channels), then the passes missed since the last one."""
        channel = request.channel
        if channel.kind is ChannelKind.PROJECT:
            current = await self._redis.get(presence_key(self._settings.namespace, channel.key))
            if current is not None:
                await websocket.send(current if isinstance(current, str) else current.decode())
        if request.last_event_id is not None:
            missed = self._replay.after(str(channel), request.last_event_id)
            if missed is None:
                await websocket.send(
                    _notice("resync", reason="gap too old", message_zh="数据已更新，请刷新")
                )
            else:
                for message in missed:
                    await websocket.send(message)

    async def _until_closed(
        self, websocket: DashboardConnection, subscription: Subscription
    ) -> None:
        dropped = asyncio.ensure_future(subscription.dropped.wait())
        closed = asyncio.ensure_future(websocket.wait_closed())
        try:
            done, _ = await asyncio.wait({dropped, closed}, return_when=asyncio.FIRST_COMPLETED)
            if dropped in done:
                ERRORS.labels("realtime", "slow_consumer").inc()
                _broadcast([websocket], DROPPED_NOTICE)
                await websocket.close(1013, "slow consumer")
        finally:
            dropped.cancel()
            closed.cancel()

    async def _heartbeats(self) -> None:
        """One heartbeat to every dashboard, so a browser can tell a quiet feed from a dead one."""
        while True:
            await asyncio.sleep(self._settings.realtime_heartbeat_s)
            _broadcast(self.hub.everyone(), _notice("heartbeat", at=datetime.now(UTC).isoformat()))

    async def _region_of(self, project_id: str) -> str | None:
        cached = self._regions.get(project_id)
        if cached is not None and time.monotonic() - cached[1] < _REGION_CACHE_S:
            return cached[0]
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT region_code FROM projects WHERE project_id = %s", (project_id,)
            )
            row = await cursor.fetchone()
        region = None if row is None else str(row[0])
        self._regions[project_id] = (region, time.monotonic())
        return region

    async def route(self, project_id: str, data: str) -> None:
        """Send one message of a project's Redis channel to every channel that shows it."""
        channel = str(Channel(ChannelKind.PROJECT, project_id))
        message = parse_live(data)
        if message is None:
            ERRORS.labels("realtime", "unreadable_message").inc()
            return
        if isinstance(message, PresenceMessage):
            self._coalescer.add(channel, project_id, data)
            region = await self._region_of(project_id)
            for region_channel in region_channels(region) if region else []:
                self._coalescer.add(region_channel, project_id, data)
            return
        if isinstance(message, PayMessage):  # a worker's own pay: their channel only
            worker_channel = str(Channel(ChannelKind.WORKER, str(message.worker_id)))
            EVENTS.labels("realtime", "delivered").inc(self.hub.publish(worker_channel, data))
            return
        delivered = self.hub.publish(channel, data)
        if isinstance(message, AlertMessage):
            region = await self._region_of(project_id)
            for region_channel in region_channels(region) if region else []:
                delivered += self.hub.publish(region_channel, data)
            alert = message.alert
            # An alert about workers (or owing them pay) is also their notification.
            workers = workers_of_alert(alert.subject, alert.evidence)
            if workers:
                note = to_text(
                    NotificationMessage(
                        alert_id=alert.alert_id, title_zh=alert.title_zh, project_id=project_id
                    )
                )
                for worker in workers:
                    delivered += self.hub.publish(f"worker:{worker}", note)
        if isinstance(message, PassMessage):
            event = message.event
            self._replay.record(channel, event.event_id, data)
            if event.worker_id:
                worker_channel = str(Channel(ChannelKind.WORKER, event.worker_id))
                delivered += self.hub.publish(worker_channel, data)
                self._replay.record(worker_channel, event.event_id, data)
        EVENTS.labels("realtime", "delivered").inc(delivered)

    async def _flush_coalesced(self) -> None:
        while True:
            await asyncio.sleep(self._coalescer.interval_s)
            for channel, message in self._coalescer.take():
                EVENTS.labels("realtime", "delivered").inc(self.hub.publish(channel, message))

    async def _relay(self) -> None:
        """Forward every live message from Redis, reconnecting on failure."""
        await keep_running("redis", self._relay_once, service="realtime")

    async def _relay_once(self) -> None:
        namespace = self._settings.namespace
        async with self._redis.pubsub() as pubsub:
            await pubsub.psubscribe(project_channel_pattern(namespace))
            async for message in pubsub.listen():
                if message.get("type") != "pmessage":
                    continue
                project_id = project_of_channel(namespace, message["channel"].decode())
                if project_id is not None:
                    await self.route(project_id, message["data"].decode())

    async def serve_forever(self) -> None:
        await self._pool.open()
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(self._relay()),
            asyncio.create_task(self._flush_coalesced()),
            asyncio.create_task(self._heartbeats()),
        ]
        try:
            async with serve(
                self._handle,
                self._settings.bind_host,
                self._settings.realtime_port,
                process_request=self._process_request,
                create_connection=DashboardConnection,
                ping_interval=20,
                ping_timeout=20,
            ) as server:
                await server.serve_forever()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._pool.close()
            await self._redis.aclose()


def run_realtime(settings: Settings) -> None:
    asyncio.run(RealtimeService(settings).serve_forever())
