"""The Celery app (Redis broker). Notification tasks arrive with issue 7."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from infra.metrics import EVENTS, exposition
from infra.settings import Settings, load_settings


def create_celery(settings: Settings) -> Celery:
    app = Celery("sitepulse", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_default_queue=f"{settings.namespace}celery",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
    )

    @app.task(name="alerts.ping")  # type: ignore[untyped-decorator]
    def ping() -> str:
        EVENTS.labels("celery", "ping").inc()
        return "pong"

    return app


class _HealthHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/metrics":
            body, content_type = exposition()
        elif self.path == "/healthz":
            body = json.dumps({"status": "ok", "service": "celery"}).encode()
            content_type = "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep access logs out of the worker log."""


def serve_health(settings: Settings) -> None:
    """Serve /healthz and /metrics for the worker from a daemon thread."""
    server = ThreadingHTTPServer((settings.bind_host, settings.celery_metrics_port), _HealthHandler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()


def run_celery_worker(settings: Settings) -> None:
    app = create_celery(settings)

    @worker_ready.connect  # type: ignore[untyped-decorator]
    def _on_ready(**_: Any) -> None:
        serve_health(settings)

    app.worker_main(
        [
            "worker",
            "--pool=solo",
            f"--loglevel={settings.log_level.upper()}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    run_celery_worker(load_settings())
