"""What every vendor protocol's endpoints share: knowing the terminal by its serial (and
refusing, and listing, an unknown one), marking it seen, publishing its passes, and
dead-lettering what it sent that cannot be used, with the raw text and the reason."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from infra.errors import AuthenticationError
from infra.metrics import DEAD_LETTERS, ERRORS, EVENTS, observe_delay
from infra.settings import Settings
from infra.snapshots import SnapshotStore, snapshot_ref
from ingest.digest_auth import DigestChecker
from ingest.producer import EventPublisher
from ingest.rate_limit import DeviceRateLimit
from ingest.terminals import Terminal, TerminalDirectory
from streams.channels import device_clock_key, device_seen_key
from streams.event_time import EventTimeWindow
from streams.records import (
    DeadLetter,
    DevicePass,
    Direction,
    HeartbeatEvent,
    PassEvent,
    PassMethod,
)

SERIAL_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
_LETTER_BYTES = 4096  # of a raw body kept in a dead letter (a picture is not)
_OFFSETS_KEPT = 5


@dataclass(frozen=True)
class _Keyed:
    """A value for :class:`EventPublisher`, keyed by ``project_id``."""

    project_id: str
    value: bytes

    def to_json(self) -> bytes:
        return self.value


class Challenged(AuthenticationError):
    """A terminal registered with push credentials sent none, or wrong ones: 401 with a
    digest challenge (the terminal answers it, as browsers do)."""

    def __init__(self, reason: str, challenge: str) -> None:
        super().__init__(reason)
        self.challenge = challenge


def request_target(request: Request) -> str:
    """The path and query as the client wrote them (what a digest answer names)."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    target = path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


class Unavailable(Exception):
    """Kafka did not take the passes: the terminal must send them again."""


async def publish_heartbeat(
    publisher: EventPublisher, beat: HeartbeatEvent, timeout_s: float
) -> None:
    """Publish a heartbeat; in an outage it is counted and dropped (the gate's last contact
    is already in Redis, and its next beat comes within a minute)."""
    try:
        await asyncio.wait_for(publisher.publish([beat]), timeout_s)
    except Exception:
        ERRORS.labels("ingest", "kafka_heartbeat").inc()


def text(body: str, status: int = 200) -> Response:
    return PlainTextResponse(body, status_code=status)


class TerminalIntake:
    def __init__(
        self,
        settings: Settings,
        *,
        redis: Redis,
        terminals: TerminalDirectory,
        passes: EventPublisher,
        letters: EventPublisher,
        heartbeats: EventPublisher,
        snapshots: SnapshotStore,
        rate_limit: DeviceRateLimit,
    ) -> None:
        self._settings = settings
        self._rate_limit = rate_limit
        self._heartbeats = heartbeats
        self._snapshots = snapshots
        self._redis = redis
        self._terminals = terminals
        self._passes = passes
        self._letters = letters
        self.window = EventTimeWindow.of(settings)

    async def terminal(self, request: Request, protocol: str, serial: str) -> Terminal | Response:
        """The registered terminal (now marked seen), or the refusal to answer with."""
        found = await self.find(request, protocol, serial)
        if found is None:
            return text(f"unknown terminal {serial}: register it in SitePulse first", 403)
        return found

    async def find(self, request: Request, protocol: str, serial: str) -> Terminal | None:
        """The registered terminal, now marked seen; None (and listed) when unknown. A
        terminal past its rate limit raises :class:`TooManyAttemptsError` (a 429); one
        registered with push credentials that does not prove them, :class:`Challenged`."""
        address = request.client.host if request.client else ""
        found = await self._terminals.find(protocol, serial, address)
        if found is None:
            ERRORS.labels("ingest", "unknown_terminal").inc()
            return None
        await self._rate_limit.check(found.device_id, found.requests_per_minute)
        if found.push_login is not None:
            user, password = found.push_login
            checker = DigestChecker(f"SitePulse {serial}", user, password, basic=True)
            header = request.headers.get("authorization", "")
            if not checker.authorised(request.method, request_target(request), header):
                ERRORS.labels("ingest", "terminal_unauthorised").inc()
                raise Challenged(f"terminal {serial} must authenticate", checker.challenge())
        await self.seen(found)
        return found

    async def clock(self, terminal: Terminal, device_time: datetime, received_at: datetime) -> None:
        """Keep the terminal's clock offset of this record (its last five are kept; the
        device-clock alert takes the smallest, so a replayed backlog is no false alarm)."""
        key = device_clock_key(self._settings.namespace)
        offset = round((received_at - device_time).total_seconds(), 1)
        raw = await self._redis.hget(key, terminal.device_id)
        try:
            kept = json.loads(raw) if raw else []
        except ValueError:
            kept = []
        recent = ([*kept, offset] if isinstance(kept, list) else [offset])[-_OFFSETS_KEPT:]
        await self._redis.hset(key, terminal.device_id, json.dumps(recent))

    async def heartbeat(
        self,
        protocol: str,
        terminal: Terminal,
        *,
        device_time: datetime | None = None,
        firmware: str | None = None,
    ) -> None:
        """The terminal says it is alive: its clock noted, the beat on ``gate.heartbeats``."""
        EVENTS.labels("ingest", "heartbeat").inc()
        received_at = datetime.now(UTC)
        if device_time is not None:
            await self.clock(terminal, device_time, received_at)
        beat = HeartbeatEvent(
            device_id=terminal.device_id,
            project_id=terminal.project_id,
            protocol=protocol,
            received_at=received_at,
            device_time=device_time,
            firmware=firmware[:64] if firmware else None,
        )
        await publish_heartbeat(self._heartbeats, beat, self._settings.ingest_publish_timeout_s)

    async def seen(self, terminal: Terminal) -> None:
        """The terminal is alive (the device-offline alert reads this)."""
        seen = device_seen_key(self._settings.namespace)
        await self._redis.hset(seen, terminal.device_id, str(time.time()))

    async def dead_letter(
        self, protocol: str, terminal: Terminal, kind: str, reason: str, raw: bytes
    ) -> None:
        letter = DeadLetter.for_payload(
            f"{protocol}:{terminal.device_id}",
            reason,
            raw[:_LETTER_BYTES],
            failed_at=datetime.now(UTC),
            kind=kind,
        )
        await self._letters.publish([_Keyed(terminal.project_id, letter.to_json())])
        DEAD_LETTERS.labels("ingest", kind).inc()

    def pass_event(
        self,
        terminal: Terminal,
        received_at: datetime,
        *,
        serial: int,
        occurred_at: datetime,
        direction: Direction,
        method: PassMethod,
        worker_id: str | None,
        snapshot_ref: str | None = None,
    ) -> PassEvent:
        """The pass of one of the terminal's records."""
        item = DevicePass(
            serial=serial,
            occurred_at=occurred_at,
            direction=direction,
            method=method,
            worker_id=worker_id,
            snapshot_ref=snapshot_ref,
        )
        return PassEvent.from_device(
            item,
            device_id=terminal.device_id,
            project_id=terminal.project_id,
            received_at=received_at,
        )

    async def publish(self, events: list[PassEvent], received_at: datetime) -> None:
        """Publish, or raise :class:`Unavailable` when Kafka does not take them in time."""
        try:
            await asyncio.wait_for(
                self._passes.publish(events), self._settings.ingest_publish_timeout_s
            )
        except Exception as exc:
            ERRORS.labels("ingest", "kafka").inc()
            raise Unavailable(type(exc).__name__) from None
        for event in events:
            observe_delay("ingested", event.occurred_at, received_at)
        EVENTS.labels("ingest", "accepted").inc(len(events))

    async def take(
        self,
        protocol: str,
        terminal: Terminal,
        raw: bytes,
        *,
        serial: int,
        occurred_at: datetime,
        direction: Direction,
        method: PassMethod,
        worker_id: str | None,
        picture: bytes | None = None,
    ) -> bool:
        """One record as a pass: its picture kept as the snapshot, the pass published
        (:class:`Unavailable` on an outage). A record outside the event-time window is
        dead-lettered instead (with ``raw``, the picture left out); returns whether the
        pass was published."""
        received_at = datetime.now(UTC)
        await self.clock(terminal, occurred_at, received_at)
        problem = self.window.problem("time", occurred_at, received_at)
        if problem is not None:
            kept = raw if picture is None else raw.replace(picture, b"<picture>")
            await self.dead_letter(protocol, terminal, "event_time", problem.reason, kept)
            return False
        reference = None
        if picture is not None:
            event_id = f"{terminal.device_id}:{serial}"
            reference = snapshot_ref(terminal.project_id, event_id, occurred_at)
            await asyncio.to_thread(self._snapshots.save, reference, picture)
        event = self.pass_event(
            terminal,
            received_at,
            serial=serial,
            occurred_at=occurred_at,
            direction=direction,
            method=method,
            worker_id=worker_id,
            snapshot_ref=reference,
        )
        await self.publish([event], received_at)
        return True
