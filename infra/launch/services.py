"""The SitePulse processes the launcher runs, and how each one runs in the foreground."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from infra.launch.probes import http_healthy
from infra.launch.process_spec import ProcessSpec
from infra.settings import SCALABLE, Settings, replicas_of

SERVICE_NAMES = SCALABLE
#: Each service's port setting, which a replica's environment overrides.
_PORT_VARIABLES = {
    "ingest": "SITEPULSE_INGEST_PORT",
    "api": "SITEPULSE_API_PORT",
    "realtime": "SITEPULSE_REALTIME_PORT",
    "streams": "SITEPULSE_STREAMS_PORT",
    "celery": "SITEPULSE_CELERY_METRICS_PORT",
}


def _port(settings: Settings, name: str) -> int:
    ports = {
        "ingest": settings.ingest_port,
        "api": settings.api_port,
        "realtime": settings.realtime_port,
        "streams": settings.streams_port,
        "celery": settings.celery_metrics_port,
    }
    return ports[name]


def service_specs(settings: Settings) -> list[ProcessSpec]:
    """Every service process: ``settings.scale`` replicas of each (one by default), replica
    n named ``<service>-<n>`` on the service's port + n - 1. Only the first Celery worker
    runs the beat, so the schedule fires once whatever the number of workers."""
    host = settings.bind_host
    replicas = replicas_of(settings.scale)
    specs = []
    for name in SERVICE_NAMES:
        for replica in range(1, replicas.get(name, 1) + 1):
            port = _port(settings, name) + replica - 1
            env = {
                "PYTHONUNBUFFERED": "1",
                _PORT_VARIABLES[name]: str(port),
                "SITEPULSE_REPLICA": str(replica),
            }
            if name == "celery" and replica > 1:
                env["SITEPULSE_CELERY_BEAT"] = "false"
            specs.append(
                ProcessSpec(
                    name=name if replica == 1 else f"{name}-{replica}",
                    kind="service",
                    argv=[sys.executable, "-m", "infra.launch.cli", "run", name],
                    port=port,
                    env=env,
                    ready=lambda port=port: http_healthy(host, port),  # type: ignore[misc]
                    url=f"http://{host}:{port}/",
                )
            )
    return specs


def start_replica(
    settings: Settings,
    name: str,
    replica: int,
    port: int,
    *,
    under: Sequence[str] = (),
    **variables: str,
) -> subprocess.Popen[bytes]:
    """One more process of a service beside a running stack, unsupervised (the scale test
    and the benchmark start a second streams worker so, and kill it): its own port, its
    log in ``<data_dir>/logs/<name>-<replica>.log``; ``variables`` are more ``SITEPULSE_*``
    settings for it; ``under`` is a command to run it under (a profiler)."""
    env = {
        **os.environ,
        **variables,
        _PORT_VARIABLES[name]: str(port),
        "SITEPULSE_REPLICA": str(replica),
        "PYTHONUNBUFFERED": "1",
    }
    log = settings.resolved_data_dir / "logs" / f"{name}-{replica}.log"
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*under, sys.executable, "-m", "infra.launch.cli", "run", name],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_service(name: str, settings: Settings) -> None:
    """Run one service in the foreground (what the supervisor starts as a child process)."""
    if name in ("ingest", "api"):
        import uvicorn

        from api.app import create_app as create_api
        from ingest.app import create_app as create_ingest

        factory = create_ingest if name == "ingest" else create_api
        uvicorn.run(
            factory(settings),
            host=settings.bind_host,
            port=_port(settings, name),
            log_level=settings.log_level,
            access_log=False,
            lifespan="on",
        )
    elif name == "realtime":
        from realtime.server import run_realtime

        run_realtime(settings)
    elif name == "streams":
        from streams.app import run_worker

        run_worker(settings)
    elif name == "celery":
        from alerts.celery_app import run_celery_worker

        run_celery_worker(settings)
    else:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
