"""Starts the stack's processes in order, restarts any that dies, stops them all by PID.

State lives under ``<data_dir>/run``: one ``<name>.pid`` per child, ``supervisor.pid``
and ``state.json`` (pids, ports, restart counts), which ``sitepulse status`` reads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infra.errors import StackError
from infra.launch.process_spec import ProcessSpec

log = logging.getLogger("sitepulse.supervisor")
_MAX_BACKOFF_S = 30.0


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start_at: float = 0.0
    backoff_s: float = 1.0
    # A restarted child not ready yet: the deadline for it to become ready.
    ready_by: float | None = None


def stop_process_group(pid: int, *, timeout_s: float = 15.0) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL it if it lingers."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):  # reap it if it is our own child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], data_dir: Path) -> None:
        self.children = [Child(spec) for spec in specs]
        self.run_dir = data_dir / "run"
        self.log_dir = data_dir / "logs"
        self._stopping = False

    def _start(self, child: Child) -> None:
        spec = child.spec
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{spec.name}.log", "ab") as log_file:
            child.process = subprocess.Popen(
                spec.argv,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **spec.env},
                user=spec.user,
                start_new_session=True,  # its own process group: stop it and its children
            )
        (self.run_dir / f"{spec.name}.pid").write_text(str(child.process.pid))
        log.info("started %s (pid %d)", spec.name, child.process.pid)

    def _wait_ready(self, child: Child) -> None:
        spec = child.spec
        deadline = time.monotonic() + spec.start_timeout_s
        while not spec.ready():
            if child.process is not None and child.process.poll() is not None:
                raise StackError(
                    f"{spec.name} exited with code {child.process.returncode} while starting;"
                    f" see {self.log_dir / (spec.name + '.log')}"
                )
            if time.monotonic() > deadline:
                raise StackError(f"{spec.name} was not ready within {spec.start_timeout_s:.0f}s")
            time.sleep(0.1)
        if spec.after_ready is not None:
            spec.after_ready()
        log.info("%s is ready on port %d", spec.name, spec.port)

    def start_all(self) -> None:
        """Prepare and start every process in order, each ready before the next starts."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for child in self.children:
            if child.spec.prepare is not None:
                child.spec.prepare()
            self._start(child)
            if child.spec.kind == "server":
                self._wait_ready(child)
        for child in self.children:
            if child.spec.kind == "service":
                self._wait_ready(child)
        self.write_state()

    def write_state(self) -> None:
        state = {
            child.spec.name: {
                "kind": child.spec.kind,
                "pid": child.process.pid if child.process else None,
                "port": child.spec.port,
                "url": child.spec.url,
                "restarts": child.restarts,
            }
            for child in self.children
        }
        temporary = self.run_dir / "state.json.tmp"
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(self.run_dir / "state.json")

    def watch_once(self) -> None:
        """Restart any child that has died, with exponential backoff per child.

        Never blocks on one child: a restarted child is checked for readiness on the
        following rounds, so two parts that fail together (a server and a service that
        waits for it) are restarted side by side instead of one waiting on the other."""
        now = time.monotonic()
        for child in self.children:
            if self._stopping or child.process is None:
                continue
            if child.ready_by is not None:
                self._check_restarted(child, now)
                continue
            if child.process.poll() is None:
                continue
            if child.next_start_at == 0.0:
                log.warning(
                    "%s exited with code %s; restarting in %.0fs",
                    child.spec.name,
                    child.process.returncode,
                    child.backoff_s,
                )
                child.next_start_at = now + child.backoff_s
            if now < child.next_start_at:
                continue
            child.restarts += 1
            child.next_start_at = 0.0
            child.backoff_s = min(child.backoff_s * 2, _MAX_BACKOFF_S)
            self._start(child)
            child.ready_by = now + child.spec.start_timeout_s
            self.write_state()

    def _check_restarted(self, child: Child, now: float) -> None:
        spec, process, ready_by = child.spec, child.process, child.ready_by
        assert process is not None and ready_by is not None
        if process.poll() is not None:
            log.error("restart of %s failed: it exited with %s", spec.name, process.returncode)
            child.ready_by = None  # the next round schedules another restart, backed off
            return
        try:
            ready = spec.ready()
            if ready and spec.after_ready is not None:
                spec.after_ready()
        except Exception as exc:  # a hook that fails now may work on the next round
            log.warning("%s is not ready yet: %s", spec.name, exc)
            ready = False
        if ready:
            child.ready_by = None
            child.backoff_s = 1.0
            log.info("%s is ready again on port %d", spec.name, spec.port)
            self.write_state()
        elif now > ready_by:
            limit = spec.start_timeout_s
            log.error("%s was not ready within %.0fs; restarting it", spec.name, limit)
            child.ready_by = None
            stop_process_group(process.pid, timeout_s=5)

    def stop_all(self) -> None:
        """Stop services first, then servers, each by its process group."""
        self._stopping = True
        for child in reversed(self.children):
            if child.process is not None and child.process.poll() is None:
                log.info("stopping %s (pid %d)", child.spec.name, child.process.pid)
                stop_process_group(child.process.pid)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=1)  # let the Popen know it has ended
            (self.run_dir / f"{child.spec.name}.pid").unlink(missing_ok=True)
