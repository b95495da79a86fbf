"""The streams roles' own process: ``python -m streams.role_child ROLE[,ROLE]``, started
by :class:`streams.role_process.RoleProcess`, which explains why and what they say.

It reads the worker's settings, then batches of raw ``gate.passes`` values and the
worker's other requests, and runs them through its roles (:mod:`streams.child_roles`),
with connections of its own, one after another; it answers a metrics request at once,
between batches, and tells the worker whenever its readiness changes. Its standard output
carries only messages (anything printed goes to standard error); when its input ends it
writes what waits and exits. A failure is reported, then it exits: the worker starts
another and sends it what this one had not written.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import REGISTRY

from infra.settings import Settings
from streams.child_roles import RolesTogether
from streams.dead_letters import DeadLetters
from streams.pipe_messages import READ_LIMIT, read_message, write_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _StoredReply:
    """Batches' receipt: tells the worker what they became is written (their offsets may
    go)."""

    seqs: list[int]
    writer: asyncio.StreamWriter

    def ack(self) -> None:
        write_message(self.writer, ("stored", self.seqs))


@dataclass(frozen=True)
class _PipedLetters:
    """The ``deadletter`` topic as seen from here: the worker sends each letter on."""

    writer: asyncio.StreamWriter

    async def send(self, *, key: bytes, value: bytes) -> None:
        write_message(self.writer, ("letter", key, value))
        await self.writer.drain()


def sitepulse_families() -> list[Metric]:
    """This process's SitePulse metrics, for the worker's ``/metrics`` page."""
    return [family for family in REGISTRY.collect() if family.name.startswith("sitepulse_")]


#: At most this many passes handled as one (batches that waited are taken together).
_MAX_TAKEN = 2000


async def _handle_in_order(
    requests: asyncio.Queue[tuple[Any, ...]],
    role: RolesTogether,
    writer: asyncio.StreamWriter,
) -> None:
    """Requests in the order they came; batches that queued up while the one before was
    handled are handled as one: the round trips to Redis and PostgreSQL are per call, so
    a worker that falls behind catches up with fewer of them."""
    held_back: tuple[Any, ...] | None = None
    while True:
        request = held_back or await requests.get()
        held_back = None
        taken = 1
        if request[0] == "batch":
            seqs, values = [request[1]], list(request[2])
            while not requests.empty() and len(values) < _MAX_TAKEN:
                held_back = requests.get_nowait()
                if held_back[0] != "batch":
                    break
                seqs.append(held_back[1])
                values.extend(held_back[2])
                taken += 1
                held_back = None
            await role.handle(values, _StoredReply(seqs, writer))
            write_message(writer, ("handled", seqs))
        elif request[0] == "flush":
            await role.flush()
            write_message(writer, ("flushed", request[1]))
        else:
            role.control(request)
        await writer.drain()
        for _ in range(taken):
            requests.task_done()


async def _every(interval_s: float, role: RolesTogether, writer: asyncio.StreamWriter) -> None:
    """The role's periodic work, and its readiness told the worker when it changes."""
    said: object = ()
    while True:
        readiness = role.readiness()
        if readiness != said:
            write_message(writer, ("readiness", readiness))
            said = readiness
        await asyncio.sleep(interval_s)
        await role.tick()


async def _read_requests(
    reader: asyncio.StreamReader,
    requests: asyncio.Queue[tuple[Any, ...]],
    writer: asyncio.StreamWriter,
) -> None:
    """Until the input ends: metrics answered at once, the rest queued in order."""
    while True:
        try:
            request = await read_message(reader)
        except asyncio.IncompleteReadError:
            return
        if request[0] == "metrics":
            write_message(writer, ("metrics", request[1], sitepulse_families()))
        else:
            requests.put_nowait(request)


async def _first_of(*tasks: asyncio.Task[None]) -> None:
    """Wait for the first of ``tasks`` to end, raising its failure."""
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        task.result()


async def serve(
    role_names: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    settings: Settings = await read_message(reader)
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format=f"[%(asctime)s] [%(process)d] [%(levelname)s] {role_names} process: %(message)s",
    )
    role = RolesTogether.named(role_names.split(","), settings, DeadLetters(_PipedLetters(writer)))
    await role.start()
    requests: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    interval_s = max(settings.sink_flush_s / 4, 0.05)
    reading = asyncio.create_task(_read_requests(reader, requests, writer))
    running = [
        asyncio.create_task(_handle_in_order(requests, role, writer)),
        asyncio.create_task(_every(interval_s, role, writer)),
    ]
    try:
        await _first_of(reading, *running)
        # The input ended: what was sent is handled, then written.
        await _first_of(asyncio.create_task(requests.join()), *running)
        await role.flush()
        await writer.drain()
    finally:
        for task in (reading, *running):
            task.cancel()
        await role.close()


async def _main() -> int:
    # The worker decides when this process ends (its input ends): a signal to the process
    # group (the supervisor's stop, Ctrl-C) must not end it before the worker's last batch.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop = asyncio.get_running_loop()
    # The messages go out on a copy of standard output; the original now points at
    # standard error, so that a stray print cannot corrupt them.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, out)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    try:
        await serve(sys.argv[1], reader, writer)
    except (BrokenPipeError, ConnectionResetError):
        log.warning("the streams worker is gone; stopping")
        return 1
    except Exception as exc:
        log.exception("the %s process failed", sys.argv[1])
        write_message(writer, ("failed", "".join(traceback.format_exception_only(exc)).strip()))
        await writer.drain()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
