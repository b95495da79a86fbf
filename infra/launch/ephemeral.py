"""A throwaway local stack on free loopback ports, for tests and benchmarks.

It goes through the same ``up``/``down`` code as ``sitepulse up``, with a data directory
of its own, so a running demo stack is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.launch.stack import down, up
from infra.settings import Settings, load_settings


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, each with ``port + 1`` free too (ClickHouse needs both)."""
    held: list[socket.socket] = []
    ports: list[int] = []
    while len(ports) < count:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
        port = sock.getsockname()[1]
        neighbour = socket.socket()
        try:
            neighbour.bind(("127.0.0.1", port + 1))
            if port not in ports and port + 1 not in ports and port - 1 not in ports:
                ports.append(port)
        except OSError:
            pass
        finally:
            neighbour.close()
    for sock in held:
        sock.close()
    return ports


def isolated_environment(data_dir: Path) -> dict[str, str]:
    kafka, pg, ch, ch_http, redis, ingest, api, realtime, streams, celery = free_ports(10)
    return {
        "SITEPULSE_DATA_DIR": str(data_dir),
        "SITEPULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka}",
        "SITEPULSE_POSTGRES_DSN": f"postgresql://sitepulse@127.0.0.1:{pg}/sitepulse",
        "SITEPULSE_CLICKHOUSE_URL": f"clickhouse://127.0.0.1:{ch}/sitepulse",
        "SITEPULSE_CLICKHOUSE_HTTP_PORT": str(ch_http),
        "SITEPULSE_REDIS_URL": f"redis://127.0.0.1:{redis}/0",
        "SITEPULSE_INGEST_PORT": str(ingest),
        "SITEPULSE_API_PORT": str(api),
        "SITEPULSE_REALTIME_PORT": str(realtime),
        "SITEPULSE_STREAMS_PORT": str(streams),
        "SITEPULSE_CELERY_METRICS_PORT": str(celery),
    }


@contextmanager
def ephemeral_stack(
    data_dir: Path, *, with_services: bool = True, **overrides: str
) -> Iterator[Settings]:
    """Start a whole stack in ``data_dir`` on free ports; stop it and delete its data after.

    Set ``KEEP_TEST_DATA=1`` to keep the data directory (logs) for a post-mortem.
    """
    env = {**isolated_environment(data_dir), **overrides}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # the supervisor and its children inherit these
    try:
        settings = load_settings()
        up(settings, with_services=with_services, timeout_s=300)
        try:
            yield settings
        finally:
            down(settings)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if os.environ.get("KEEP_TEST_DATA") != "1":
            remove_data_dir(data_dir)


def remove_data_dir(data_dir: Path) -> None:
    """Delete ``data_dir`` and what its top-level symlinks point at (see ``postgres_home``)."""
    if data_dir.is_dir():
        for entry in data_dir.iterdir():
            if entry.is_symlink():
                shutil.rmtree(entry.resolve(), ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)
