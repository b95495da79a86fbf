"""``sitepulse simulate``: virtual gates that sign and post passes like real devices.

The runner provisions its gates in the registry, paces passes at the target rate shaped
by :mod:`infra.launch.site_model`'s working day, posts them in small per-gate batches, retries
what the server could not take (same serials, so a retry is harmless), and shows progress.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg

from api.stores.devices import DeviceRecord, ensure_devices
from infra.errors import SitePulseError
from infra.launch.site_model import Gate, SiteModel, build_sites
from infra.settings import Settings
from ingest.client import DeviceClient
from ingest.dahua_terminal import DahuaTerminal, access_record
from ingest.hikvision_client import HikvisionTerminal
from ingest.httpv2_client import HttpV2Terminal
from ingest.zkteco_client import ZktecoTerminal

CHINA_TIME = timezone(timedelta(hours=8))
TERMINAL_ZONE = ZoneInfo("Asia/Shanghai")  # the vendor terminals' clocks


@dataclass(frozen=True)
class Incidents:
    """What goes wrong on a demo's sites, in real seconds from the start, so that a visitor
    sees alerts open and clear: a burst of unknown faces at the first project's first gate
    (the streaming alert opens at once and clears once the window has passed), and the last
    project's last gate silent for a while (its passes go through its other gates), which
    the device alert reports and clears when the gate is back. Also, from the start: a few
    workers of the first project who enter and never pass out (reported once the shift has
    ended, 22:00), and a share of the second project's roster who never come, so its update
    rate stays below 85 % (and its absent workers miss their exit procedure).

    With the seed's demo thresholds (unknown faces over 3 minutes, a gate offline after 5;
    alerts evaluated every minute), measured on a fresh stack: the spike opens at 0:32 and
    clears at 3:53; the gate's alert opens at 5:54 and clears at 8:55; the seed's wage
    warnings (late and short payroll, arrears) open at the first evaluation (0:52)."""

    burst_at_s: float = 20.0
    burst_faces: int = 8
    silent_from_s: float = 40.0
    silent_for_s: float = 7.5 * 60.0
    stay_inside: int = 3
    absent_share: float = 0.25

    def silent(self, elapsed_s: float) -> bool:
        return self.silent_from_s <= elapsed_s < self.silent_from_s + self.silent_for_s


@dataclass(frozen=True)
class SimulationPlan:
    projects: int = 3
    gates: int = 2
    workers: int = 2000
    rate: float = 50.0  # passes per second, averaged over a simulated day
    duration_s: float | None = None
    count: int | None = None
    speed: float | None = None  # simulated s per real s; None: derived from rate and workforce
    flat: bool = False  # constant rate instead of the working-day shape
    batch_max: int = 50
    flush_s: float = 0.2
    seed: int = 7
    incidents: Incidents | None = None
    # What the gates speak: SitePulse's signed JSON, or a vendor's protocol to ingest's
    # adapter for it (zkteco, hikvision, httpv2; dahua: simulated terminals on loopback
    # whose event streams ingest holds).
    protocol: str = "sitepulse"


PASSES_PER_WORKER_DAY = 3.0  # in, out, and now and then a lunch break


def realistic_speed(plan: SimulationPlan) -> float:
    """The clock speed at which ``rate`` passes/s give each worker ~3 passes a day."""
    workforce = plan.projects * plan.workers
    return plan.rate * 86400 / (workforce * PASSES_PER_WORKER_DAY)


@dataclass
class Progress:
    generated: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    roster_commands: int = 0  # ZKTeco terminals: people taken from their polls
    last_error: str = ""
    started: float = field(default_factory=time.monotonic)

    def line(self, sim_now: datetime, in_flight: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return (
            f"\r[模拟时间 {sim_now:%H:%M}] generated {self.generated:,} · accepted "
            f"{self.accepted:,} ({self.accepted / elapsed:,.0f}/s) · rejected {self.rejected}"
            f" · retries {self.retries} · in flight {in_flight}   "
        )


class GateSimulator:
    def __init__(self, settings: Settings, plan: SimulationPlan) -> None:
        self._settings = settings
        self._plan = plan
        self.sites = build_sites(plan.projects, plan.gates, plan.workers)
        self.secrets = {
            gate.device_id: secrets.token_hex(24) for s in self.sites for gate in s.gates
        }
        # The simulated day starts just before the morning peak, so a demo is busy at once;
        # the fast clock catches up with real time and then keeps to it.
        now = datetime.now(CHINA_TIME)
        start = now.replace(hour=6, minute=0, second=0, microsecond=0)
        if start > now:
            start -= timedelta(days=1)
        self.speed = plan.speed or realistic_speed(plan)
        self._model = SiteModel(
            self.sites,
            seed=plan.seed,
            start=start,
            speed=self.speed,
            # A random block of 2**20 serials per run: runs never reuse an event id.
            serial_base=secrets.randbits(40) << 20,
        )
        self.progress = Progress()
        self._buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._buffer_since: dict[str, float] = {}
        self._gates = {gate.device_id: gate for s in self.sites for gate in s.gates}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._limit = asyncio.Semaphore(32)
        self.registered = 0  # workers taken from the registry by provision()
        self._burst_sent = False
        self._terminals: dict[str, ZktecoTerminal] = {}  # --protocol zkteco
        self.dahua_terminals: dict[str, DahuaTerminal] = {}  # --protocol dahua

    def provision(self) -> int:
        """Register the gates (existing ones keep their secret); returns how many there are."""
        protocol = self._plan.protocol
        if protocol == "dahua" and not self.dahua_terminals:
            self.dahua_terminals = {
                device_id: DahuaTerminal("admin", secrets.token_hex(8)) for device_id in self._gates
            }
        records = [
            DeviceRecord(
                g.device_id,
                g.project_id,
                self.secrets[g.device_id],
                g.direction,
                protocol=protocol,
                **self._dahua_login(g.device_id),
            )
            for g in self._gates.values()
        ]
        self.secrets = ensure_devices(self._settings.postgres_dsn, records)
        disabled = sorted(set(self._gates) - set(self.secrets))
        if disabled:
            raise SitePulseError(f"these gates are disabled in the registry: {', '.join(disabled)}")
        self.registered = self._use_registered_workers()
        self._stage_site_incidents()
        return len(self.secrets)

    def _dahua_login(self, device_id: str) -> dict[str, str]:
        terminal = self.dahua_terminals.get(device_id)
        if terminal is None:
            return {}
        return {
            "address": terminal.address,
            "username": terminal.username,
            "password": terminal.password,
        }

    def _stage_site_incidents(self) -> None:
        incidents = self._plan.incidents
        if incidents is None:
            return
        first, sinking = self.sites[0], self.sites[1 % len(self.sites)]
        first.stays.update(first.workers[: incidents.stay_inside])
        absent = int(len(sinking.workers) * incidents.absent_share)
        # Still on the roster; the gates never see them.
        del sinking.workers[len(sinking.workers) - absent :]

    def _use_registered_workers(self) -> int:
        """Where a project has workers on its roster (``sitepulse seed``), its gates see them,
        so attendance, presence and alerts refer to real registry ids; returns how many."""
        with psycopg.connect(self._settings.postgres_dsn) as conn:
            rows = conn.execute(
                "SELECT project_id, worker_id::text FROM memberships"
                " WHERE status = 'active' AND project_id = ANY(%s) ORDER BY worker_id",
                ([site.project_id for site in self.sites],),
            ).fetchall()
        roster: dict[str, list[str]] = defaultdict(list)
        for project_id, worker_id in rows:
            roster[project_id].append(worker_id)
        for site in self.sites:
            if roster.get(site.project_id):
                site.workers[:] = roster[site.project_id]
                site.on_site.clear()
        return len(rows)

    async def _send(
        self, client: httpx.AsyncClient, gate: Gate, items: list[dict[str, Any]]
    ) -> tuple[httpx.Response, int]:
        """Send as the gate's protocol does; returns the reply and how many items went."""
        if self._plan.protocol == "zkteco":
            terminal = self._terminals.setdefault(
                gate.device_id, ZktecoTerminal(client, gate.device_id, TERMINAL_ZONE)
            )
            return await terminal.push(items)
        if self._plan.protocol == "hikvision":
            return await HikvisionTerminal(client, gate.device_id).push(items)
        if self._plan.protocol == "httpv2":
            return await HttpV2Terminal(client, gate.device_id).push(items)
        if self._plan.protocol == "dahua":  # queued on the terminal; ingest reads its stream
            held = self.dahua_terminals[gate.device_id]
            for item in items:
                held.records.put(access_record(item, TERMINAL_ZONE))
            return httpx.Response(200), len(items)
        device = DeviceClient(client, gate.device_id, self.secrets[gate.device_id])
        return await device.post_passes(items), len(items)

    async def _post(
        self, client: httpx.AsyncClient, gate: Gate, items: list[dict[str, Any]]
    ) -> None:
        delay = 0.2
        async with self._limit:
            while True:
                try:
                    response, sent = await self._send(client, gate, items)
                except httpx.HTTPError as exc:
                    self.progress.last_error = f"{type(exc).__name__}: {exc}"
                else:
                    if response.status_code in (200, 202):
                        self.progress.accepted += sent
                        # Repeats within a second: not in a terminal's log.
                        self.progress.rejected += len(items) - sent
                        return
                    if response.status_code < 500 and response.status_code != 429:
                        self.progress.rejected += len(items)
                        self.progress.last_error = f"{response.status_code} {response.text[:300]}"
                        return
                    self.progress.last_error = f"{response.status_code} {response.text[:300]}"
                self.progress.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _flush(self, client: httpx.AsyncClient, *, force: bool = False) -> None:
        now = time.monotonic()
        for device_id, items in list(self._buffers.items()):
            due = now - self._buffer_since.get(device_id, now) >= self._plan.flush_s
            if items and (force or due or len(items) >= self._plan.batch_max):
                task = asyncio.create_task(self._post(client, self._gates[device_id], items))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                self._buffers[device_id] = []
                self._buffer_since.pop(device_id, None)

    def _stage_incidents(self, elapsed: float) -> None:
        incidents = self._plan.incidents
        if incidents is None or self._burst_sent or elapsed < incidents.burst_at_s:
            return
        self._burst_sent = True
        gate = self.sites[0].gates[0]
        # Stamped with the real time, not the fast simulated clock (which may be hours
        # behind while it catches up): the alert rules judge a burst by when it happened.
        now = datetime.now(CHINA_TIME)
        for _ in range(incidents.burst_faces):
            self._buffers[gate.device_id].append(self._model.unknown_face(gate, now))
            self.progress.generated += 1
        self._buffer_since.setdefault(gate.device_id, time.monotonic())

    def _route_around_silence(self, gate: Gate, elapsed: float) -> Gate | None:
        """The silent gate's passes go through another gate of its project (or nowhere)."""
        incidents = self._plan.incidents
        if incidents is None or not incidents.silent(elapsed) or gate != self.silent_gate:
            return gate
        others = [g for g in self.sites[-1].gates if g != gate]
        return others[0] if others else None

    @property
    def silent_gate(self) -> Gate:
        return self.sites[-1].gates[-1]

    async def _serve_terminals(self, client: httpx.AsyncClient) -> None:
        """As ZKTeco terminals do: open a session, then poll for commands (the project's
        roster, 人员下发) and answer each as done."""
        gates = [ZktecoTerminal(client, g.device_id, TERMINAL_ZONE) for g in self._gates.values()]
        for terminal in gates:
            with suppress(httpx.HTTPError):
                await terminal.open_session()
        while True:
            for terminal in gates:
                try:
                    while taken := await terminal.poll_and_answer():  # until it has them all
                        self.progress.roster_commands += len(taken)
                except httpx.HTTPError as exc:
                    self.progress.last_error = f"poll {terminal.serial}: {exc}"
            await asyncio.sleep(2)

    async def _drain_dahua_terminals(self, timeout_s: float = 120.0) -> None:
        """Wait until ingest has read every queued record from the simulated Dahua
        terminals (it connects within SITEPULSE_DAHUA_REFRESH_S), then close them."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(
            not t.records.empty() for t in self.dahua_terminals.values()
        ):
            await asyncio.sleep(0.2)
        left = sum(t.records.qsize() for t in self.dahua_terminals.values())
        if left:
            self.progress.last_error = f"ingest did not read {left} records from the terminals"
        for terminal in self.dahua_terminals.values():
            terminal.stop()

    def _done(self, elapsed: float) -> bool:
        plan = self._plan
        if plan.count is not None and self.progress.generated >= plan.count:
            return True
        return plan.duration_s is not None and elapsed >= plan.duration_s

    async def run(self, *, show_progress: bool = True) -> Progress:
        base_url = f"http://{self._settings.bind_host}:{self._settings.ingest_port}"
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
            terminals = (
                asyncio.create_task(self._serve_terminals(client))
                if self._plan.protocol == "zkteco"
                else None
            )
            started = time.monotonic()
            owed = 0.0
            last_tick = started
            last_shown = 0.0
            while not self._done(time.monotonic() - started):
                now = time.monotonic()
                moment = self._model.sim_time(now - started, not_after=datetime.now(UTC))
                factor = 1.0 if self._plan.flat else self._model.rate_factor(moment)
                owed += self._plan.rate * factor * (now - last_tick)
                last_tick = now
                self._stage_incidents(now - started)
                while owed >= 1 and not self._done(now - started):
                    drawn, item = self._model.next_pass(moment)
                    gate = self._route_around_silence(drawn, now - started)
                    if gate is None:
                        owed -= 1
                        continue
                    if gate != drawn:
                        item = self._model.moved_to(gate, item)
                    self._buffers[gate.device_id].append(item)
                    self._buffer_since.setdefault(gate.device_id, now)
                    self.progress.generated += 1
                    owed -= 1
                self._flush(client)
                if show_progress and now - last_shown >= 0.5:
                    sys.stderr.write(self.progress.line(moment, len(self._in_flight)))
                    last_shown = now
                await asyncio.sleep(0.01)
            self._flush(client, force=True)
            while self._in_flight:
                await asyncio.gather(*list(self._in_flight))
            if terminals is not None:
                terminals.cancel()
                with suppress(asyncio.CancelledError):
                    await terminals
            await self._drain_dahua_terminals()
            if show_progress:
                moment = self._model.sim_time(
                    time.monotonic() - started, not_after=datetime.now(UTC)
                )
                sys.stderr.write(self.progress.line(moment, 0) + "\n")
        return self.progress
