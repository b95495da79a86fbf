"""The ``/iclock`` endpoints a ZKTeco terminal in PUSH (ADMS) mode calls: the session's
options, attendance pushes, the heartbeat and command poll, and command results
(protocol in :mod:`ingest.vendors.zkteco`).

A terminal is known by its serial number; an unregistered one is refused with 403 and
listed for adoption. A photo of a face the terminal turned away becomes a pass of nobody
with its snapshot. Every line of a push is acknowledged, so the terminal moves on: the
readable ones become passes on ``gate.passes``, the others, and passes outside the event
time window, go to the dead letters with their raw text. Only an outage (Kafka not
answering) is refused with 503, and then the terminal sends the same lines again, which
is harmless: a pass's id is terminal + person + time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.metrics import ERRORS, EVENTS
from ingest.roster_sync import face_photos, reconcile, record_results, take_commands
from ingest.terminal_intake import SERIAL_PATTERN, TerminalIntake, Unavailable, text
from ingest.terminals import Terminal
from ingest.vendors import zkteco
from streams.records import PassEvent, PassMethod

PROTOCOL = "zkteco"
_SERIAL = re.compile(SERIAL_PATTERN)
_COMMANDS_PER_POLL = 20
_OTHER_TABLES = frozenset({"OPERLOG", "USERINFO", "BIODATA", "OPLOG"})


def zkteco_routes(
    intake: TerminalIntake, pool: AsyncConnectionPool, *, resend_after: timedelta
) -> list[Route]:
    async def terminal_of(request: Request) -> Terminal | Response:
        serial = request.query_params.get("SN", "")
        if not _SERIAL.match(serial):
            ERRORS.labels("ingest", "zkteco_no_serial").inc()
            return text("SN must be the terminal's serial number", 400)
        return await intake.terminal(request, PROTOCOL, serial)

    async def attlog(terminal: Terminal, body: bytes) -> int:
        records, bad = zkteco.parse_attlog(body, zone=terminal.zone, default=terminal.direction)
        received_at = datetime.now(UTC)
        events: list[PassEvent] = []
        for record in records:
            problem = intake.window.problem("time", record.occurred_at, received_at)
            if problem is not None:
                await intake.dead_letter(
                    PROTOCOL, terminal, "event_time", problem.reason, record.line.encode()
                )
                continue
            events.append(
                intake.pass_event(
                    terminal,
                    received_at,
                    serial=record.serial,
                    occurred_at=record.occurred_at,
                    direction=record.direction,
                    method=record.method,
                    worker_id=record.pin,
                )
            )
        if records:
            newest = max(record.occurred_at for record in records)
            await intake.clock(terminal, newest, received_at)
        await intake.publish(events, received_at)
        for line in bad:
            reason = f"line {line.number}: {line.reason}"
            await intake.dead_letter(PROTOCOL, terminal, "invalid", reason, line.line.encode())
        return len(records) + len(bad)

    async def attphoto(terminal: Terminal, body: bytes) -> Response:
        """A capture photo. A turned-away face (no PIN) is a pass of nobody with its photo,
        never attendance; a verified person's photo is acknowledged and not kept (their
        pass came with ATTLOG, and a face the terminal matched needs no copy here)."""
        try:
            photo = zkteco.parse_attphoto(body, zone=terminal.zone)
        except zkteco.PhotoError as exc:
            await intake.dead_letter(PROTOCOL, terminal, "invalid", str(exc), body)
            return text("OK")
        if photo.pin is not None:
            EVENTS.labels("ingest", "zkteco_attphoto_known").inc()
            return text("OK")
        try:
            await intake.take(
                PROTOCOL,
                terminal,
                body,
                serial=photo.serial,
                occurred_at=photo.occurred_at,
                direction=terminal.direction,
                method=PassMethod.FACE,
                worker_id=None,
                picture=photo.jpeg,
            )
        except Unavailable as exc:
            return text(f"unavailable ({exc}); send again", 503)
        return text("OK")

    async def cdata(request: Request) -> Response:
        found = await terminal_of(request)
        if isinstance(found, Response):
            return found
        if request.method == "GET":  # the session opens: its options
            offset = found.zone.utcoffset(datetime.now(UTC).replace(tzinfo=None))
            hours = int(offset.total_seconds() // 3600) if offset is not None else 8
            return text(zkteco.options_reply(request.query_params["SN"], utc_offset_hours=hours))
        table = request.query_params.get("table", "")
        body = await request.body()
        if table == "ATTLOG":
            try:
                taken = await attlog(found, body)
            except Unavailable as exc:
                return text(f"unavailable ({exc}); send again", 503)
            return text(f"OK: {taken}")
        if table == "ATTPHOTO":
            return await attphoto(found, body)
        # Operation logs and user records are taken and counted; nothing to keep.
        known = table if table in _OTHER_TABLES else "other"
        EVENTS.labels("ingest", f"zkteco_{known.lower()}").inc()
        lines = [line for line in zkteco.decode(body).splitlines() if line.strip()]
        return text(f"OK: {len(lines)}")

    async def getrequest(request: Request) -> Response:
        """The heartbeat, and the terminal's chance to take its commands."""
        found = await terminal_of(request)
        if isinstance(found, Response):
            return found
        firmware = zkteco.firmware_of_info(request.query_params.get("INFO", ""))
        await intake.heartbeat(PROTOCOL, found, firmware=firmware)
        async with pool.connection() as conn:
            await reconcile(conn, found.device_id, found.project_id, resend_after=resend_after)
            commands = await take_commands(
                conn, found.device_id, limit=_COMMANDS_PER_POLL, resend_after=resend_after
            )
            faces = await face_photos(conn, commands)
        lines: list[str] = []
        for c in commands:
            pin = str(c.worker_id)
            if c.action == "add":
                face = faces.get(c.worker_id)
                lines += zkteco.person_commands(c.command_id, pin, c.name, c.card_number, face)
            else:
                lines.append(zkteco.delete_user_command(c.command_id, pin))
        return text(zkteco.commands_reply(lines))

    async def devicecmd(request: Request) -> Response:
        found = await terminal_of(request)
        if isinstance(found, Response):
            return found
        results = zkteco.parse_command_results(await request.body())
        async with pool.connection() as conn:
            await record_results(conn, found.device_id, [(r.command_id, r.code) for r in results])
        return text("OK")

    return [
        Route("/iclock/cdata", cdata, methods=["GET", "POST"]),
        Route("/iclock/getrequest", getrequest, methods=["GET"]),
        Route("/iclock/devicecmd", devicecmd, methods=["POST"]),
    ]
