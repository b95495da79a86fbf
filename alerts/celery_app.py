"""The Celery app (Redis broker): the scheduled alert evaluation (beat, embedded in the
worker) and one notification task per alert transition, never one per event."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
from celery import Celery
from celery.signals import worker_ready
from psycopg import AsyncConnection
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from alerts.evaluation import evaluate_all
from alerts.notify import alert_payload, claim, mark, push_in_app, send_webhook
from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
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

    app.conf.beat_schedule = {
        "evaluate-alerts": {"task": "alerts.evaluate", "schedule": settings.alert_evaluate_s},
    }

    @app.task(name="alerts.ping")  # type: ignore[untyped-decorator]
    def ping() -> str:
        EVENTS.labels("celery", "ping").inc()
        return "pong"

    @app.task(name="alerts.evaluate")  # type: ignore[untyped-decorator]
    def evaluate() -> list[list[Any]]:
        """Evaluate every project; queue one notification task per transition."""
        transitions = asyncio.run(_evaluate(settings))
        for alert_id, transition in transitions:
            notify.delay(alert_id, transition)
        EVENTS.labels("celery", "evaluated").inc()
        return [list(item) for item in transitions]

    @app.task(  # type: ignore[untyped-decorator]
        name="alerts.notify",
        bind=True,
        autoretry_for=(httpx.HTTPError,),
        retry_backoff=1,
        retry_backoff_max=60,
        retry_jitter=False,
        max_retries=8,
    )
    def notify(self: Any, alert_id: int, transition: str) -> dict[str, str]:
        return deliver(settings, alert_id, transition)

    return app


async def _evaluate(settings: Settings) -> list[tuple[int, str]]:
    redis = AsyncRedis.from_url(settings.redis_url)
    try:
        async with await AsyncConnection.connect(settings.postgres_dsn, autocommit=True) as conn:
            db = DriverExecutor(connect_clickhouse(settings.clickhouse_url))
            return await evaluate_all(
                conn, db, redis, namespace=settings.namespace, now=datetime.now(UTC)
            )
    finally:
        await redis.aclose()


def deliver(settings: Settings, alert_id: int, transition: str) -> dict[str, str]:
    """Send what is still unsent for this transition; raise to retry a failed webhook."""
    outcome = {}
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        payload = alert_payload(conn, alert_id, transition)
        if claim(conn, alert_id, transition, "in_app", "live"):
            push_in_app(Redis.from_url(settings.redis_url), settings.namespace, payload)
            mark(conn, alert_id, transition, "in_app", "live")
            outcome["in_app"] = "sent"
        url, secret = settings.alert_webhook_url, settings.alert_webhook_secret
        if url and secret and claim(conn, alert_id, transition, "webhook", url):
            try:
                send_webhook(url, secret, payload)
            except httpx.HTTPError as exc:
                mark(conn, alert_id, transition, "webhook", url, error=type(exc).__name__)
                EVENTS.labels("celery", "webhook_failed").inc()
                raise
            mark(conn, alert_id, transition, "webhook", url)
            outcome["webhook"] = "sent"
    EVENTS.labels("celery", "notified").inc()
    return outcome


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
            "--beat",
            f"--schedule={settings.resolved_data_dir / 'celerybeat-schedule'}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    run_celery_worker(load_settings())
