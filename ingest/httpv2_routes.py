"""The endpoints an "HTTPv2" face terminal calls (protocol in :mod:`ingest.vendors.httpv2`):
``POST /Device/Keepalive`` and ``POST /Record/UploadIdentifyRecord``.

Answers are the protocol's JSON, always with HTTP 200: ``{"Success": 1}`` goes on,
``{"Success": 401}`` tells an unregistered terminal it is not activated (it is listed for
adoption), ``{"Success": 400}`` that what it sent is not a request at all. A record that
cannot be read, or lies outside the event-time window, is acknowledged and dead-lettered,
so the terminal moves on; only an outage answers 503, and the terminal sends it again
(the pass is ``<device>:<RecordID>``, stored once).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.metrics import ERRORS, EVENTS
from ingest.terminal_intake import TerminalIntake, Unavailable
from ingest.vendors import httpv2

PROTOCOL = "httpv2"


def answer(success: int, message: str = "") -> Response:
    body: dict[str, object] = {"Success": success}
    if message:
        body["Message"] = message
    return JSONResponse(body)


NOT_ACTIVATED = "已连接服务器，但是该设备未激活（请先在 SitePulse 登记设备序列号）"


def httpv2_routes(intake: TerminalIntake) -> list[Route]:
    async def keepalive(request: Request) -> Response:
        try:
            serial = httpv2.keepalive_serial(await request.body())
        except httpv2.HttpV2Error as exc:
            ERRORS.labels("ingest", "httpv2_invalid").inc()
            return answer(400, str(exc))
        terminal = await intake.find(request, PROTOCOL, serial)
        if terminal is None:
            return answer(401, NOT_ACTIVATED)
        await intake.heartbeat(PROTOCOL, terminal)
        return answer(1)

    async def upload(request: Request) -> Response:
        body = await request.body()
        try:
            serial, parts = httpv2.serial_of_upload(request.headers.get("content-type", ""), body)
        except httpv2.HttpV2Error as exc:
            ERRORS.labels("ingest", "httpv2_invalid").inc()
            return answer(400, str(exc))
        terminal = await intake.find(request, PROTOCOL, serial)
        if terminal is None:
            return answer(401, NOT_ACTIVATED)
        try:
            record = httpv2.parse_upload(serial, parts).record
        except httpv2.HttpV2Error as exc:
            await intake.dead_letter(PROTOCOL, terminal, "invalid", str(exc), body)
            return answer(1)
        if isinstance(record, httpv2.NotAPass):
            EVENTS.labels("ingest", "httpv2_not_a_pass").inc()
            return answer(1)
        try:
            await intake.take(
                PROTOCOL,
                terminal,
                body,
                serial=record.record_id,
                occurred_at=record.occurred_at,
                direction=record.direction or terminal.direction,
                method=record.method,
                worker_id=record.worker_id,
                picture=record.photo,
            )
        except Unavailable as exc:
            return JSONResponse({"Success": 0, "Message": f"unavailable ({exc})"}, 503)
        return answer(1)

    return [
        Route("/Device/Keepalive", keepalive, methods=["POST"]),
        Route("/Record/UploadIdentifyRecord", upload, methods=["POST"]),
    ]
