"""The SitePulse processes the launcher runs, and how each one runs in the foreground."""

from __future__ import annotations

import sys

from infra.launch.probes import http_healthy
from infra.launch.process_spec import ProcessSpec
from infra.settings import Settings

SERVICE_NAMES = ("ingest", "api", "realtime", "streams", "celery")


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
    host = settings.bind_host
    specs = []
    for name in SERVICE_NAMES:
        port = _port(settings, name)
        specs.append(
            ProcessSpec(
                name=name,
                kind="service",
                argv=[sys.executable, "-m", "infra.launch.cli", "run", name],
                port=port,
                env={"PYTHONUNBUFFERED": "1"},
                ready=lambda port=port: http_healthy(host, port),  # type: ignore[misc]
                url=f"http://{host}:{port}/",
            )
        )
    return specs


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
