"""The realtime service: Redis pub/sub in, WebSocket clients out.

One port serves ``/ws?project=<id>`` (WebSocket), ``/`` (the live dashboard page),
``/healthz`` and ``/metrics``. Authentication and role scopes arrive with the API's
tokens (issue 6); until then the service binds to loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from http import HTTPStatus
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from prometheus_client import Gauge
from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from infra.metrics import ERRORS, EVENTS, exposition
from infra.settings import Settings
from realtime.channels import presence_key, project_channel_pattern, project_of_channel
from realtime.hub import DROPPED_NOTICE, Hub, Subscription

log = logging.getLogger(__name__)
CLIENTS = Gauge("sitepulse_realtime_clients", "Connected WebSocket clients")
_PROJECT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _http(status: HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return Response(status.value, status.phrase, headers, body)


class RealtimeService:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._redis = Redis.from_url(settings.redis_url)
        self.hub = Hub(queue_size=settings.realtime_client_queue)
        self._dashboard = resources.files("realtime").joinpath("dashboard.html").read_bytes()

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
        if path in ("/", "/dashboard"):
            return _http(HTTPStatus.OK, self._dashboard, "text/html; charset=utf-8")
        return _http(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    async def _handle(self, websocket: ServerConnection) -> None:
        query = parse_qs(urlsplit(websocket.request.path if websocket.request else "").query)
        project_id = (query.get("project") or [""])[0]
        if not _PROJECT_ID.match(project_id):
            await websocket.close(4400, "query parameter project=<id> is required")
            return
        subscription = self.hub.subscribe(project_id)
        CLIENTS.inc()
        try:
            # Who is on site now, so a new dashboard need not wait for the next pass.
            current = await self._redis.get(presence_key(self._settings.namespace, project_id))
            if current is not None:
                await websocket.send(current if isinstance(current, str) else current.decode())
            await self._pump(websocket, subscription)
        finally:
            self.hub.unsubscribe(subscription)
            CLIENTS.dec()

    async def _pump(self, websocket: ServerConnection, subscription: Subscription) -> None:
        dropped = asyncio.ensure_future(subscription.dropped.wait())
        closed = asyncio.ensure_future(websocket.wait_closed())
        try:
            while True:
                get = asyncio.ensure_future(subscription.queue.get())
                done, _ = await asyncio.wait(
                    {get, dropped, closed}, return_when=asyncio.FIRST_COMPLETED
                )
                if get in done:
                    await websocket.send(get.result())
                    continue
                get.cancel()
                if dropped in done:
                    await websocket.send(DROPPED_NOTICE)
                    await websocket.close(1013, "slow consumer")
                return
        finally:
            dropped.cancel()
            closed.cancel()

    async def _relay(self) -> None:
        """Forward every live message from Redis to the hub, reconnecting on failure."""
        namespace = self._settings.namespace
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(project_channel_pattern(namespace))
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"].decode()
                        project_id = project_of_channel(namespace, channel)
                        if project_id is not None:
                            delivered = self.hub.publish(project_id, message["data"].decode())
                            EVENTS.labels("realtime", "delivered").inc(delivered)
            except asyncio.CancelledError:
                raise
            except Exception:
                ERRORS.labels("realtime", "redis").inc()
                log.exception("Redis relay failed; reconnecting in 1 s")
                await asyncio.sleep(1)

    async def serve_forever(self) -> None:
        relay = asyncio.create_task(self._relay())
        try:
            async with serve(
                self._handle,
                self._settings.bind_host,
                self._settings.realtime_port,
                process_request=self._process_request,
                ping_interval=20,
                ping_timeout=20,
            ) as server:
                await server.serve_forever()
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            await self._redis.aclose()


def run_realtime(settings: Settings) -> None:
    asyncio.run(RealtimeService(settings).serve_forever())
