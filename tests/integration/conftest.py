"""Starts the real local stack once per test session, on free loopback ports.

It goes through the same ``up``/``down`` code as ``sitepulse up``, with a data
directory of its own, so a running demo stack is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import Settings, load_settings
from infra.stack import down, up

REPO = Path(__file__).resolve().parents[2]


def _free_ports(count: int) -> list[int]:
    sockets: list[socket.socket] = []
    ports: list[int] = []
    while len(ports) < count:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sockets.append(sock)
        # ClickHouse takes http_port + 1 for interserver traffic: keep both free.
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port + 1))
            ports.append(port)
        except OSError:
            pass
        finally:
            probe.close()
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    kafka, pg, ch, ch_http, redis, ingest, api, realtime, streams, celery = _free_ports(10)
    data_dir = REPO / ".sitepulse" / f"test-{os.getpid()}"
    env = {
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
        # Small batches keep the tests quick; the batching path is the same.
        "SITEPULSE_SINK_FLUSH_S": "0.2",
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    settings = load_settings()
    try:
        up(settings, timeout_s=300)
        yield settings
    finally:
        down(settings)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if os.environ.get("SITEPULSE_KEEP_TEST_DATA") != "1":
            shutil.rmtree(data_dir, ignore_errors=True)
