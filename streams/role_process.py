"""The streams roles' work on ``gate.passes`` done in a process of its own
(:mod:`streams.role_child`): the passes role's, the attendance role's, or both.

The worker's event loop is bound by one core's worth of Python (the GIL): with Faust's
own per-message machinery and a role's work in one process, the passes role kept up with
three quarters of a bare Faust agent, the machine's other cores partly idle. Here the
worker only reads ``gate.passes`` and holds each batch's messages; the child does the
roles' work (:class:`streams.child_roles.RolesTogether`) and says when each batch is
written. A worker with both roles runs one child for both: each batch is pickled, piped
and acknowledged once.

The two talk over the child's standard input and output (:mod:`streams.pipe_messages`):

- worker → child: the :class:`~infra.settings.Settings` first, then ``("batch", seq,
  values)``, ``("flush", seq)``, ``("metrics", seq)`` and the role's own requests
  (``("assigned", partitions, partition_count)``, ``("revoked", partitions)``);
- child → worker: ``("handled", seqs)`` (more batches may go), ``("stored", seqs)`` (their
  offsets may be committed), ``("letter", key, value)`` (for the ``deadletter`` topic,
  always before the ``stored`` of its batch), ``("flushed", seq)``, ``("metrics", seq,
  families)``, ``("readiness", text or None)`` and, last, ``("failed", reason)``.

A batch's messages are acknowledged only on its ``stored``. A child that stops (a crash,
the kernel's OOM killer) is started again after a pause that doubles up to 30 s, and is
sent the last assignment and every batch its predecessor had not written: the stores are
idempotent, so nothing is lost and nothing counts twice, and Faust never sees the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import sys
from typing import Any

from faust.types import EventT
from prometheus_client.metrics_core import Metric

from infra.errors import SitePulseError
from infra.metrics import ERRORS
from infra.settings import Settings
from streams.dead_letters import LetterTopic
from streams.pipe_messages import READ_LIMIT, read_message, write_message

log = logging.getLogger(__name__)
Batch = list[EventT[Any]]
_MAX_PAUSE_S = 30.0
_PIPE_BYTES = 1 << 20


def _widen(pipe: asyncio.StreamWriter) -> None:
    """A pipe of 1 MiB instead of 64 KiB: a batch of 500 passes goes in one write."""
    with contextlib.suppress(OSError, AttributeError):  # past pipe-max-size; not a pipe
        fcntl.fcntl(pipe.transport.get_extra_info("pipe").fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class RoleProcessFailed(SitePulseError):
    """A role's process stopped or reported a failure."""


class RoleProcess:
    def __init__(
        self,
        settings: Settings,
        dead_letter: LetterTopic,
        *roles: str,
        depth: int = 8,
    ) -> None:
        self._settings = settings
        self._roles = ",".join(roles)
        self._role = "-".join(roles)  # its name in logs, metrics and /healthz
        self._dead_letter = dead_letter
        #: Batches sent and not yet handled; past ``depth`` the agent waits. Deep enough
        #: that Faust reads on while the child waits on Redis (it takes what queued up as
        #: one batch), shallow enough to bound what a revocation waits for.
        self._depth = depth
        self._room = asyncio.Semaphore(depth)
        self._seq = itertools.count(1)
        self._unwritten: dict[int, Batch] = {}
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._failure: RoleProcessFailed | None = None
        self._restarts = 0  # in a row, for the pause before the next
        self._stopping = False
        self._readiness: str | None = "starting"
        self._assignment: tuple[Any, ...] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def state(self) -> str | None:
        """None while the child runs and its role is ready, else what is missing (for
        ``/healthz``)."""
        name = f"the {self._role} process"
        if self._stopping:
            return f"{name} is stopped"
        if self._failure is not None:
            return f"{name} stopped ({self._failure}); starting it again"
        if self._process is None:
            return f"starting {name}"
        return self._readiness

    async def keep_running(self) -> None:
        """Start the child, or start it again if it stopped, sending what it had not
        written; returns once one runs."""
        if self._process is not None and self._failure is None:
            return  # the common case, called for every batch and every few milliseconds
        async with self._starting:
            while self._process is None or self._failure is not None:
                if self._stopping:
                    raise RoleProcessFailed("the worker is stopping")
                if self._process is not None:
                    await self._pause()
                await self._spawn()
                if self._assignment is not None:
                    self._send(self._assignment)
                for seq, events in sorted(self._unwritten.items()):
                    await self._room.acquire()
                    if self._failure is not None:
                        break
                    await self._send_batch(seq, events)

    async def submit(self, events: Batch) -> None:
        """Send a batch to the child; waits while ``depth`` batches are not yet handled.
        Each event comes with a reference to its message (its offset waits), released
        once the batch is written."""
        await self.keep_running()
        await self._room.acquire()
        seq = next(self._seq)
        self._unwritten[seq] = events
        if self._failure is None:  # else the next child is sent it
            await self._send_batch(seq, events)

    async def control(self, request: tuple[Any, ...]) -> None:
        """A request of the role's own, in order with the batches; an assignment is also
        sent to any later child."""
        if request[0] == "assigned":
            self._assignment = request
        await self.keep_running()
        if self._failure is None:
            self._send(request)
            await self._drain()

    async def finish(self) -> None:
        """Return once every batch given so far is handled and written."""
        while True:
            await self.keep_running()
            try:
                await self._ask("flush")
                return
            except RoleProcessFailed:
                continue

    async def metric_families(self, timeout_s: float = 2.0) -> list[Metric]:
        """The child's SitePulse metrics; none while it does not answer."""
        if self._process is None or self._failure is not None:
            return []
        try:
            families: list[Metric] = await asyncio.wait_for(self._ask("metrics"), timeout_s)
        except (TimeoutError, RoleProcessFailed):
            return []
        return families

    async def stop(self) -> None:
        """End the child's input (it writes what waits and exits) and wait for it."""
        self._stopping = True
        process = self._process
        if process is None or process.stdin is None:
            return
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            log.error("the %s process did not stop in 30 s; killing it", self._role)
            process.kill()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "streams.role_child",
            self._roles,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=READ_LIMIT,
        )
        assert self._process.stdin is not None
        _widen(self._process.stdin)
        self._failure = None
        self._readiness = "starting"
        self._room = asyncio.Semaphore(self._depth)
        self._send(self._settings)
        self._reading = asyncio.create_task(
            self._read_replies(self._process), name=f"{self._role} process"
        )
        log.info("%s process %d started", self._role, self._process.pid)

    async def _pause(self) -> None:
        pause_s = min(_MAX_PAUSE_S, 0.5 * 2**self._restarts)
        self._restarts += 1
        ERRORS.labels("streams", f"{self._role}_process_restart").inc()
        log.warning(
            "starting the %s process again in %.1f s, with %d unwritten batches",
            self._role,
            pause_s,
            len(self._unwritten),
        )
        await asyncio.sleep(pause_s)

    async def _ask(self, request: str) -> Any:
        if self._failure is not None:
            raise self._failure
        seq = next(self._seq)
        reply = self._replies[seq] = asyncio.get_running_loop().create_future()
        self._send((request, seq))
        await self._drain()
        try:
            return await reply
        finally:
            self._replies.pop(seq, None)

    async def _send_batch(self, seq: int, events: Batch) -> None:
        self._send(("batch", seq, [event.value for event in events]))
        await self._drain()

    def _send(self, message: object) -> None:
        assert self._process is not None and self._process.stdin is not None
        write_message(self._process.stdin, message)

    async def _drain(self) -> None:
        """Wait while the pipe is full; a child that is gone is the reader's to report."""
        assert self._process is not None and self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await self._process.stdin.drain()

    async def _read_replies(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        reason = "it exited"
        try:
            while True:
                reply = await read_message(process.stdout)
                kind = reply[0]
                if kind == "handled":
                    self._restarts = 0
                    for _ in reply[1]:
                        self._room.release()
                elif kind == "stored":
                    for seq in reply[1]:
                        for event in self._unwritten.pop(seq, ()):
                            event.ack()
                elif kind == "letter":
                    await self._dead_letter.send(key=reply[1], value=reply[2])
                elif kind == "readiness":
                    self._readiness = reply[1]
                elif kind == "failed":
                    reason = reply[1]
                elif reply[1] in self._replies:  # flushed, metrics
                    self._replies[reply[1]].set_result(reply[2] if len(reply) > 2 else None)
        except asyncio.IncompleteReadError:
            pass
        except Exception as exc:
            reason = f"its replies could not be read: {exc!r}"
        if not self._stopping and process.returncode is None:
            process.kill()  # so that no two children ever work at once
        self._fail(reason)

    def _fail(self, reason: str) -> None:
        """Nothing more comes from the child: whatever waits on it learns why."""
        self._failure = RoleProcessFailed(reason)
        name, unwritten = f"the {self._role} process", len(self._unwritten)
        if self._stopping and not unwritten:
            log.info("%s stopped", name)
        else:
            log.error("%s stopped (%s): %d batches unwritten", name, reason, unwritten)
        for reply in self._replies.values():
            if not reply.done():
                reply.set_exception(self._failure)
        for _ in range(self._depth + 1):
            self._room.release()
