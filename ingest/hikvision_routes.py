"""``POST /isapi/{serial}/events``: where a Hikvision terminal's HTTP listening (事件上传 →
HTTP 监听) sends its events (protocol in :mod:`ingest.vendors.hikvision`).

Each terminal is configured with its own URL, which names its serial number. An access
event becomes a pass (a stranger's with nobody, never attendance), its picture a snapshot;
a heartbeat marks the terminal seen. Whatever cannot be read is acknowledged (200) and
dead-lettered, so the terminal does not send it forever; only an outage answers 503.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.metrics import EVENTS
from ingest.terminal_intake import SERIAL_PATTERN, TerminalIntake, Unavailable, text
from ingest.vendors import hikvision

PROTOCOL = "hikvision"
_SERIAL = re.compile(SERIAL_PATTERN)
_OK = {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}


def hikvision_routes(intake: TerminalIntake) -> list[Route]:
    async def events(request: Request) -> Response:
        serial = request.path_params["serial"]
        if not _SERIAL.match(serial):
            return text("the URL must name the terminal's serial number", 400)
        terminal = await intake.terminal(request, PROTOCOL, serial)
        if isinstance(terminal, Response):
            return terminal
        body = await request.body()
        try:
            pushed = hikvision.parse_push(
                request.headers.get("content-type", ""),
                body,
                zone=terminal.zone,
                default=terminal.direction,
            )
        except hikvision.HikvisionError as exc:
            await intake.dead_letter(PROTOCOL, terminal, "invalid", str(exc), body)
            return JSONResponse(_OK)
        if isinstance(pushed, hikvision.Heartbeat):
            await intake.heartbeat(PROTOCOL, terminal, device_time=pushed.at)
            return JSONResponse(_OK)
        if isinstance(pushed, hikvision.Ignored):
            EVENTS.labels("ingest", "hikvision_other_event").inc()
            return JSONResponse(_OK)
        try:
            await intake.take(
                PROTOCOL,
                terminal,
                body,
                serial=pushed.serial,
                occurred_at=pushed.occurred_at,
                direction=pushed.direction,
                method=pushed.method,
                worker_id=pushed.worker_id,
                picture=pushed.picture,
            )
        except Unavailable as exc:
            return text(f"unavailable ({exc}); send again", 503)
        return JSONResponse(_OK)

    return [Route("/isapi/{serial}/events", events, methods=["POST"])]
