"""Dahua terminals do not call the platform: the platform holds each one's event stream
open (protocol in :mod:`ingest.vendors.dahua`). The ingest service runs one connector per
registered Dahua terminal, re-read from the registry every ``refresh_s`` seconds; each
reconnects with backoff when the terminal or the network drops it.

What the stream brings: a heartbeat marks the terminal seen; an access record becomes a
pass (``<device>:<RecNo>``, so the records a terminal replays after a reconnect are
stored once); what cannot be read, or lies outside the event-time window, is
dead-lettered. When Kafka does not take a pass the connector waits and tries again,
holding the stream: the terminal's records are not lost.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import httpx
from psycopg_pool import AsyncConnectionPool

from infra.metrics import ERRORS
from ingest.terminal_intake import TerminalIntake, Unavailable
from ingest.terminals import ReachableTerminal, Terminal, reachable_terminals
from ingest.vendors import dahua

log = logging.getLogger(__name__)
PROTOCOL = "dahua"
_HEARTBEAT_S = 5
_SOFTWARE_VERSION = "/cgi-bin/magicBox.cgi?action=getSoftwareVersion"
_ATTACH = "/cgi-bin/eventManager.cgi?action=attach&codes=[AccessControl]&heartbeat="


class DahuaConnectors:
    def __init__(
        self, intake: TerminalIntake, pool: AsyncConnectionPool, *, refresh_s: float
    ) -> None:
        self._intake = intake
        self._pool = pool
        self._refresh_s = refresh_s
        self._held: dict[str, tuple[ReachableTerminal, asyncio.Task[None]]] = {}

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self._refresh()
                except Exception:
                    ERRORS.labels("ingest", "dahua_registry").inc()
                    log.exception("reading the Dahua terminals failed; trying again")
                await asyncio.sleep(self._refresh_s)
        finally:
            for _, task in self._held.values():
                task.cancel()
            for _, task in self._held.values():
                with suppress(asyncio.CancelledError):
                    await task

    async def _refresh(self) -> None:
        registered = await reachable_terminals(self._pool, (PROTOCOL,))
        wanted = {t.terminal.device_id: t for t in registered}
        for device_id, (known, task) in list(self._held.items()):
            if wanted.get(device_id) != known:  # removed, disabled or changed
                task.cancel()
                del self._held[device_id]
        for device_id, terminal in wanted.items():
            if device_id not in self._held:
                task = asyncio.create_task(self._hold(terminal), name=f"dahua:{device_id}")
                self._held[device_id] = (terminal, task)

    async def _hold(self, device: ReachableTerminal) -> None:
        """Keep the terminal's stream open, for as long as it is registered."""
        delay = 1.0
        url = device.address.rstrip("/") + _ATTACH + str(_HEARTBEAT_S)
        timeout = httpx.Timeout(10.0, read=_HEARTBEAT_S * 4)
        auth = httpx.DigestAuth(device.username, device.password)
        while True:
            try:
                async with (
                    httpx.AsyncClient(auth=auth, timeout=timeout) as client,
                    client.stream("GET", url) as response,
                ):
                    if response.status_code != 200:
                        ERRORS.labels("ingest", f"dahua_{response.status_code // 100}xx").inc()
                        log.warning(
                            "Dahua terminal %s answered %d",
                            device.terminal.device_id,
                            response.status_code,
                        )
                    else:
                        delay = 1.0
                        firmware = await _firmware(client, device.address)
                        content_type = response.headers.get("content-type", "")
                        reader = dahua.PartReader(dahua.boundary_of(content_type))
                        async for chunk in response.aiter_bytes():
                            for body in reader.feed(chunk):
                                await self._take(device.terminal, body, firmware)
            except httpx.HTTPError as exc:
                ERRORS.labels("ingest", "dahua_connection").inc()
                log.info("Dahua terminal %s: %s", device.terminal.device_id, type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def _take(self, terminal: Terminal, body: bytes, firmware: str | None) -> None:
        try:
            part = dahua.parse_part(body, zone=terminal.zone, default=terminal.direction)
        except dahua.DahuaError as exc:
            await self._intake.dead_letter(PROTOCOL, terminal, "invalid", str(exc), body)
            return
        if isinstance(part, dahua.Beat):
            await self._intake.heartbeat(PROTOCOL, terminal, firmware=firmware)
            return
        if isinstance(part, dahua.Other):
            return
        await self._intake.seen(terminal)
        delay = 0.5
        while True:  # an outage: hold the stream until Kafka takes the pass
            try:
                await self._intake.take(
                    PROTOCOL,
                    terminal,
                    body,
                    serial=part.record_no,
                    occurred_at=part.occurred_at,
                    direction=part.direction,
                    method=part.method,
                    worker_id=part.worker_id,
                )
                return
            except Unavailable:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)


async def _firmware(client: httpx.AsyncClient, address: str) -> str | None:
    """The terminal's firmware version, asked once per connection; None if it won't say."""
    try:
        response = await client.get(address.rstrip("/") + _SOFTWARE_VERSION)
    except httpx.HTTPError:
        return None
    return dahua.software_version(response.content) if response.status_code == 200 else None
