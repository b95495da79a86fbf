"""人员下发 to the terminals the platform calls (Hikvision ISAPI, Dahua HTTP API; requests in
:mod:`ingest.vendors.person_requests`). Every ``every_s`` each such terminal with an
address is reconciled with its project's roster (:mod:`ingest.roster_sync`), its queued
commands are sent with digest auth, and each outcome is recorded: 0 done, otherwise the
HTTP status, -1 for no answer, -2 for an answer that is not a success. What failed is sent
again after ``resend_after``; a terminal that does not answer is left after its first
failure until the next round.

Commands are taken with ``FOR UPDATE SKIP LOCKED``, so several ingest processes can run
this at once without sending a command twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
from psycopg_pool import AsyncConnectionPool

from infra.metrics import ERRORS, EVENTS
from ingest.roster_sync import Command, face_photos, reconcile, record_results, take_commands
from ingest.terminals import ReachableTerminal, reachable_terminals
from ingest.vendors import person_requests as calls

log = logging.getLogger(__name__)
PROTOCOLS = ("hikvision", "dahua")
NO_ANSWER, NOT_ACCEPTED = -1, -2
_PER_ROUND = 20
_PARALLEL = 8


def requests_for(protocol: str, command: Command, face: bytes | None) -> list[calls.PersonRequest]:
    if command.action == "remove":
        if protocol == "hikvision":
            return calls.hikvision_remove(command.worker_id)
        return calls.dahua_remove(command.worker_id)
    person = calls.Person(command.worker_id, command.name, command.card_number, face)
    return calls.hikvision_add(person) if protocol == "hikvision" else calls.dahua_add(person)


def accepted(protocol: str, response: httpx.Response, request: calls.PersonRequest) -> bool:
    if protocol == "hikvision":
        return calls.hikvision_accepted(response.status_code, response.content)
    return calls.dahua_accepted(response.status_code, response.content, request)


class RosterPusher:
    def __init__(
        self, pool: AsyncConnectionPool, *, every_s: float, resend_after: timedelta
    ) -> None:
        self._pool = pool
        self._every_s = every_s
        self._resend_after = resend_after

    async def run(self) -> None:
        while True:
            try:
                await self.push_all()
            except Exception:
                ERRORS.labels("ingest", "roster_push").inc()
                log.exception("pushing rosters to the terminals failed; trying again")
            await asyncio.sleep(self._every_s)

    async def push_all(self) -> None:
        terminals = await reachable_terminals(self._pool, PROTOCOLS)
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(terminal: ReachableTerminal) -> None:
            async with gate:
                await self.push(terminal)

        await asyncio.gather(*(one(terminal) for terminal in terminals))

    async def push(self, device: ReachableTerminal) -> None:
        """One round for one terminal: reconcile, send what is queued, record the outcomes."""
        device_id = device.terminal.device_id
        async with self._pool.connection() as conn:
            await reconcile(
                conn, device_id, device.terminal.project_id, resend_after=self._resend_after
            )
            commands = await take_commands(
                conn, device_id, limit=_PER_ROUND, resend_after=self._resend_after
            )
            faces = await face_photos(conn, commands)
        if not commands:
            return
        outcomes: list[tuple[int, int]] = []
        auth = httpx.DigestAuth(device.username, device.password)
        base = device.address.rstrip("/")
        async with httpx.AsyncClient(base_url=base, auth=auth, timeout=10.0) as client:
            for command in commands:
                code = await self._send(client, device, command, faces.get(command.worker_id))
                outcomes.append((command.command_id, code))
                if code == NO_ANSWER:  # unreachable: the rest wait for the next round
                    outcomes += [(c.command_id, NO_ANSWER) for c in commands[len(outcomes) :]]
                    break
        async with self._pool.connection() as conn:
            await record_results(conn, device_id, outcomes)
        done = sum(1 for _, code in outcomes if code == 0)
        EVENTS.labels("ingest", "roster_command_done").inc(done)
        ERRORS.labels("ingest", "roster_command_failed").inc(len(outcomes) - done)

    async def _send(
        self,
        client: httpx.AsyncClient,
        device: ReachableTerminal,
        command: Command,
        face: bytes | None,
    ) -> int:
        for request in requests_for(device.protocol, command, face):
            try:
                response = await client.request(
                    request.method, request.path, json=request.json_body, files=request.files
                )
            except httpx.HTTPError as exc:
                log.info("terminal %s: %s", device.terminal.device_id, type(exc).__name__)
                return NO_ANSWER
            if not accepted(device.protocol, response, request):
                log.info(
                    "terminal %s refused the %s of worker %d: HTTP %d",
                    device.terminal.device_id,
                    request.what,
                    command.worker_id,
                    response.status_code,
                )
                return response.status_code if response.status_code != 200 else NOT_ACCEPTED
        return 0
