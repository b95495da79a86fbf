"""The passes role's work done in a process of its own (:mod:`streams.pass_child`).

The worker's event loop is bound by one core's worth of Python (the GIL): with Faust's
own per-message machinery and the pass pipeline in one process, the passes role kept up
with three quarters of a bare Faust agent, the machine's other cores partly idle. Here
the worker only reads ``gate.passes`` and holds each batch's messages; the child decodes,
publishes, raises alerts and writes ClickHouse, and says when each batch is written.

The two talk over the child's standard input and output (:mod:`streams.pipe_messages`):

- worker → child: the :class:`~infra.settings.Settings` first, then ``("batch", seq,
  values)``, ``("flush", seq)`` and ``("metrics", seq)``;
- child → worker: ``("handled", seqs)`` (more batches may go), ``("stored", seqs)`` (their
  offsets may be committed), ``("letter", key, value)`` (for the ``deadletter`` topic,
  always before the ``stored`` of its batch), ``("flushed", seq)``, ``("metrics", seq,
  families)`` and, last, ``("failed", reason)``.

A batch's messages are acknowledged only on its ``stored``: if the child fails, the
worker raises on the next batch and stops with their offsets uncommitted.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from typing import Any

from faust.types import EventT
from prometheus_client.metrics_core import Metric

from infra.errors import SitePulseError
from infra.settings import Settings
from streams.dead_letters import LetterTopic
from streams.pipe_messages import READ_LIMIT, read_message, write_message

log = logging.getLogger(__name__)
Batch = list[EventT[Any]]


class PassProcessFailed(SitePulseError):
    """The passes process stopped or reported a failure."""


class PassProcess:
    def __init__(self, settings: Settings, dead_letter: LetterTopic, *, depth: int = 8) -> None:
        self._settings = settings
        self._dead_letter = dead_letter
        #: Batches sent and not yet handled; past ``depth`` the agent waits. Deep enough
        #: that Faust reads on while the child waits on Redis (it takes what queued up as
        #: one batch), shallow enough to bound what a revocation waits for.
        self._room = asyncio.Semaphore(depth)
        self._depth = depth
        self._seq = itertools.count(1)
        self._unwritten: dict[int, Batch] = {}
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._failure: PassProcessFailed | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def state(self) -> str | None:
        """None while the child runs, else why it does not (for ``/healthz``)."""
        if self._failure is not None:
            return f"the passes process stopped: {self._failure}"
        if self._process is None:
            return "starting the passes process"
        return None

    async def start(self) -> None:
        async with self._starting:
            if self._process is not None:
                return
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "streams.pass_child",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=READ_LIMIT,
            )
            self._send(self._settings)
            self._reading = asyncio.create_task(self._read_replies(), name="passes process")
            log.info("passes process %d started", self._process.pid)

    async def submit(self, events: Batch) -> None:
        """Send a batch to the child and hold its messages until it is written; waits while
        ``depth`` batches are not yet handled. Raises once the child has failed."""
        await self.start()
        await self._room.acquire()
        self._raise_failure()
        seq = next(self._seq)
        for event in events:
            event.message.incref()  # released on the batch's "stored"
        self._unwritten[seq] = events
        self._send(("batch", seq, [event.value for event in events]))
        await self._drain()

    async def finish(self) -> None:
        """Return once every batch sent so far is handled and written."""
        if self._process is not None:
            await self._ask("flush")

    async def metric_families(self, timeout_s: float = 2.0) -> list[Metric]:
        """The child's SitePulse metrics; none while it does not answer."""
        if self._process is None or self._failure is not None:
            return []
        try:
            families: list[Metric] = await asyncio.wait_for(self._ask("metrics"), timeout_s)
        except (TimeoutError, PassProcessFailed):
            return []
        return families

    async def stop(self) -> None:
        """End the child's input (it writes what waits and exits) and wait for it."""
        process = self._process
        if process is None or process.stdin is None:
            return
        self._stopping = True
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            log.error("the passes process did not stop in 30 s; killing it")
            process.kill()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)

    async def _ask(self, request: str) -> Any:
        self._raise_failure()
        seq = next(self._seq)
        reply = self._replies[seq] = asyncio.get_running_loop().create_future()
        self._send((request, seq))
        await self._drain()
        try:
            return await reply
        finally:
            self._replies.pop(seq, None)

    def _send(self, message: object) -> None:
        assert self._process is not None and self._process.stdin is not None
        write_message(self._process.stdin, message)

    async def _drain(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            await self._process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            if self._reading is not None:  # it tells why the child is gone
                await asyncio.wait([self._reading], timeout=5)
            self._raise_failure()
            raise PassProcessFailed("its input closed") from exc

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _read_replies(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        reason = "it exited"
        try:
            while True:
                reply = await read_message(stdout)
                kind = reply[0]
                if kind == "handled":
                    for _ in reply[1]:
                        self._room.release()
                elif kind == "stored":
                    for seq in reply[1]:
                        for event in self._unwritten.pop(seq, ()):
                            event.ack()
                elif kind == "letter":
                    await self._dead_letter.send(key=reply[1], value=reply[2])
                elif kind == "failed":
                    reason = reply[1]
                elif reply[1] in self._replies:  # flushed, metrics
                    self._replies[reply[1]].set_result(reply[2] if len(reply) > 2 else None)
        except asyncio.IncompleteReadError:
            pass
        except Exception as exc:
            reason = f"its replies could not be read: {exc!r}"
        self._fail(reason)

    def _fail(self, reason: str) -> None:
        """Nothing more comes from the child: whatever waits on it learns why."""
        self._failure = PassProcessFailed(reason)
        if self._stopping and not self._unwritten:
            log.info("the passes process stopped")
        else:
            log.error(
                "the passes process stopped (%s): %d batches unwritten",
                reason,
                len(self._unwritten),
            )
        for reply in self._replies.values():
            if not reply.done():
                reply.set_exception(self._failure)
        for _ in range(self._depth + 1):
            self._room.release()
