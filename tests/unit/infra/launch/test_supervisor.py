"""The supervisor restarts children side by side: one waiting to be ready (a service that
needs a server) never holds up the restart of another (that server)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from infra.launch.process_spec import ProcessSpec
from infra.launch.supervisor import Supervisor


def test_a_child_waiting_to_be_ready_does_not_hold_up_another_restart(tmp_path: Path) -> None:
    server_up = tmp_path / "server-up"

    def server_ready() -> bool:
        return True

    def service_ready() -> bool:  # like the API, which is ready only once its server is
        return server_up.exists()

    server = ProcessSpec("server", "server", ["sleep", "60"], 1, server_ready)
    service = ProcessSpec("service", "service", ["sleep", "60"], 2, service_ready)
    supervisor = Supervisor([service, server], tmp_path)
    supervisor.run_dir.mkdir(parents=True)
    for child in supervisor.children:
        supervisor._start(child)
    try:
        first = {c.spec.name: c.process.pid for c in supervisor.children if c.process}
        for pid in first.values():
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        deadline = killed_at + 10
        while time.monotonic() < deadline:
            supervisor.watch_once()
            now = {c.spec.name: c.process.pid for c in supervisor.children if c.process}
            if now["server"] != first["server"]:
                break
            time.sleep(0.1)
        restarted = {c.spec.name: c for c in supervisor.children}
        assert restarted["server"].process is not None
        assert restarted["server"].process.pid != first["server"]
        assert time.monotonic() - killed_at < 10  # not held up by the service's readiness
        assert restarted["service"].ready_by is not None  # still waiting, not blocking
        server_up.touch()
        supervisor.watch_once()
        assert restarted["service"].ready_by is None
    finally:
        supervisor.stop_all()
