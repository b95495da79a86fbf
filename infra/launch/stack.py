"""``sitepulse up / down / status``: the local stack as one detached supervisor process."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from infra.errors import StackError
from infra.launch.process_spec import ProcessSpec
from infra.launch.servers import server_specs
from infra.launch.services import service_specs
from infra.launch.supervisor import Supervisor, stop_process_group
from infra.launch.system_packages import ensure_packages
from infra.settings import Settings

log = logging.getLogger("sitepulse.stack")


def all_specs(settings: Settings, *, with_services: bool = True) -> list[ProcessSpec]:
    specs = server_specs(settings)
    return specs + service_specs(settings) if with_services else specs


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs; reaps it first if it is our own exited child (a zombie)."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child: signal 0 tells
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def new_vapid_key() -> str:
    """A P-256 private key for Web Push (VAPID): the 32-byte secret, base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def ensure_secrets(settings: Settings) -> None:
    """Give the services their secrets (the token secret, the data key, the VAPID key):
    the configured ones, or ones generated once and kept in the data dir."""
    makers: list[tuple[str, str | None, Callable[[], str]]] = [
        ("token_secret", settings.token_secret, _new_secret),
        ("data_key", settings.data_key, _new_secret),
        ("vapid_private_key", settings.vapid_private_key, new_vapid_key),
    ]
    for name, configured, make in makers:
        if configured:
            continue
        path = settings.resolved_data_dir / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(make())
            path.chmod(0o600)
        os.environ[f"SITEPULSE_{name.upper()}"] = path.read_text().strip()


def supervise(settings: Settings, *, with_services: bool = True) -> None:
    """Run the supervisor in the foreground until SIGTERM or SIGINT (``sitepulse up -f``)."""
    ensure_secrets(settings)
    data_dir = settings.resolved_data_dir
    run_dir = data_dir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "ready").unlink(missing_ok=True)
    (run_dir / "supervisor.pid").write_text(str(os.getpid()))
    supervisor = Supervisor(all_specs(settings, with_services=with_services), data_dir)
    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        supervisor.start_all()
        (run_dir / "ready").write_text(str(time.time()))
        log.info("the stack is up")
        while not stop_requested:
            supervisor.watch_once()
            time.sleep(0.5)
    finally:
        supervisor.stop_all()
        for name in ("ready", "supervisor.pid"):
            (run_dir / name).unlink(missing_ok=True)
        log.info("the stack is down")


def up(settings: Settings, *, with_services: bool = True, timeout_s: float = 240.0) -> None:
    """Start the supervisor detached and return once every process is ready."""
    ensure_packages()
    ensure_secrets(settings)  # here too, so the caller can mint tokens for its tools
    run_dir = settings.resolved_data_dir / "run"
    log_dir = settings.resolved_data_dir / "logs"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    running = _read_pid(run_dir / "supervisor.pid")
    if running:
        print(f"the stack is already running (supervisor pid {running})")
        return
    argv = [sys.executable, "-m", "infra.launch.cli", "up", "--foreground"]
    if not with_services:
        argv.append("--servers-only")
    with open(log_dir / "supervisor.log", "ab") as log_file:
        process = subprocess.Popen(
            argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "SITEPULSE_SCALE": settings.scale},
        )
    deadline = time.monotonic() + timeout_s
    specs = all_specs(settings, with_services=with_services)  # built once, not every tick
    shown: set[str] = set()
    while not (run_dir / "ready").exists():
        if process.poll() is not None:
            tail = (log_dir / "supervisor.log").read_text(errors="replace")[-3000:]
            raise StackError(f"the supervisor exited with code {process.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            stop_process_group(process.pid)
            raise StackError(f"the stack was not ready within {timeout_s:.0f}s; see {log_dir}")
        for spec in specs:
            if spec.name not in shown and (run_dir / f"{spec.name}.pid").exists() and spec.ready():
                shown.add(spec.name)
                print(f"  ✓ {spec.name:<10} ready on port {spec.port}", flush=True)
        time.sleep(0.2)


def down(settings: Settings, *, timeout_s: float = 60.0) -> bool:
    """Stop the supervisor (which stops its children), then any child left behind."""
    run_dir = settings.resolved_data_dir / "run"
    stopped = False
    supervisor_pid = _read_pid(run_dir / "supervisor.pid")
    if supervisor_pid:
        os.kill(supervisor_pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(supervisor_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        stopped = True
    for pid_file in run_dir.glob("*.pid"):
        pid = _read_pid(pid_file)
        if pid:
            stop_process_group(pid)
            stopped = True
        pid_file.unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    kind: str
    pid: int | None
    port: int
    healthy: bool
    restarts: int
    url: str


def status(settings: Settings) -> list[ProcessStatus]:
    run_dir = settings.resolved_data_dir / "run"
    try:
        state = json.loads((run_dir / "state.json").read_text())
    except (OSError, ValueError):
        state = {}
    rows = []
    for spec in all_specs(settings):
        pid = _read_pid(run_dir / f"{spec.name}.pid")
        rows.append(
            ProcessStatus(
                name=spec.name,
                kind=spec.kind,
                pid=pid,
                port=spec.port,
                healthy=bool(pid) and spec.ready(),
                restarts=int(state.get(spec.name, {}).get("restarts", 0)),
                url=spec.url,
            )
        )
    return rows
