"""The Celery app (Redis broker): the scheduled alert evaluation (beat, embedded in the
worker) and one notification task per alert transition, never one per event.

The two run apart: each has its own queue (:func:`queue_name`), and a worker runs tasks on
a pool of threads, so deliveries go on while an evaluation runs, and an evaluation is never
queued behind a burst of deliveries."""

from __future__ import annotations

import asyncio
import json
import smtplib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import psycopg
from celery import Celery
from celery.signals import worker_ready
from psycopg import AsyncConnection

from alerts.audience import WORKER_TRANSITIONS, notice_kind, worker_notice, workers_of_alert
from alerts.evaluation import evaluate_all
from alerts.inbox import muted_kinds, record_notice
from alerts.notify import (
    HttpSmsGateway,
    alert_payload,
    claim,
    email_text,
    mark,
    push_in_app,
    send_email,
    send_webhook,
)
from alerts.recipients import quiet_until, recipients
from alerts.web_push import push, subscriptions_of
from analytics.clickhouse import connect as connect_clickhouse
from analytics.executor import DriverExecutor
from infra.metrics import EVENTS, exposition
from infra.redis_client import async_redis, sync_redis
from infra.settings import Settings, load_settings


def queue_name(settings: Settings, queue: str) -> str:
    """The broker queue of ``evaluate`` or ``notify`` (and ping) tasks."""
    return f"{settings.namespace}celery.{queue}"


def create_celery(settings: Settings) -> Celery:
    app = Celery("sitepulse", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_default_queue=queue_name(settings, "notify"),
        task_routes={"alerts.evaluate": {"queue": queue_name(settings, "evaluate")}},
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
        autoretry_for=(httpx.HTTPError, smtplib.SMTPException, OSError),
        retry_backoff=1,
        retry_backoff_max=60,
        retry_jitter=False,
        max_retries=8,
    )
    def notify(self: Any, alert_id: int, transition: str) -> dict[str, str]:
        outcome, wake_at = deliver(settings, alert_id, transition)
        if wake_at is not None:  # someone's quiet hours: try their deliveries again then
            self.apply_async((alert_id, transition), eta=wake_at)
        return outcome

    return app


async def _evaluate(settings: Settings) -> list[tuple[int, str]]:
    redis = async_redis(settings.redis_url)
    try:
        async with await AsyncConnection.connect(settings.postgres_dsn, autocommit=True) as conn:
            db = DriverExecutor(connect_clickhouse(settings.clickhouse_url))
            return await evaluate_all(
                conn, db, redis, namespace=settings.namespace, now=datetime.now(UTC)
            )
    finally:
        await redis.aclose()


def deliver(
    settings: Settings, alert_id: int, transition: str
) -> tuple[dict[str, str], datetime | None]:
    """Send what is still unsent for this transition; raise to retry a failed delivery.
    Returns what was sent and, if a recipient is in quiet hours, when to try again."""
    outcome: dict[str, str] = {}
    wake_at: datetime | None = None
    now = datetime.now(UTC)
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        payload = alert_payload(conn, alert_id, transition)

        def attempt(channel: str, recipient: str, send: Callable[[], None]) -> None:
            if not claim(conn, alert_id, transition, channel, recipient):
                return
            try:
                send()
            except (httpx.HTTPError, smtplib.SMTPException, OSError) as exc:
                mark(conn, alert_id, transition, channel, recipient, error=type(exc).__name__)
                EVENTS.labels("celery", f"{channel}_failed").inc()
                raise
            mark(conn, alert_id, transition, channel, recipient)
            outcome[f"{channel}:{recipient}"] = "sent"

        def in_app() -> None:
            with sync_redis(settings.redis_url) as redis:
                push_in_app(redis, settings.namespace, payload)

        attempt("in_app", "live", in_app)
        url, secret = settings.alert_webhook_url, settings.alert_webhook_secret
        if url and secret:
            attempt("webhook", url, lambda: send_webhook(url, secret, payload))
        for worker_id in workers_of_alert(payload["subject"], payload["evidence"] or {}):
            if transition in WORKER_TRANSITIONS:
                tell_worker(settings, conn, int(worker_id), payload, attempt)
        people = recipients(
            conn,
            payload["project_id"],
            rule=payload["rule"],
            severity=payload["severity"],
            transition=transition,
        )
        text = email_text(payload)
        for person in people:
            quiet = quiet_until(person, now) if payload["severity"] != "critical" else None
            if quiet is not None:
                wake_at = quiet if wake_at is None else min(wake_at, quiet)
                continue
            host = settings.smtp_host
            if "email" in person.channels and person.email and host:
                subject = payload["title_zh"]
                mail = partial(
                    send_email, host, settings.smtp_port, settings.smtp_from, person.email
                )
                attempt("email", person.email, partial(mail, subject, text))
            if "sms" in person.channels and person.phone and settings.sms_gateway_url:
                gateway = HttpSmsGateway(settings.sms_gateway_url, settings.sms_api_key)
                sms = f"【SitePulse】{payload['title_zh']}"
                attempt("sms", person.phone, partial(gateway.send, person.phone, sms))
    EVENTS.labels("celery", "notified").inc()
    return outcome, wake_at


Attempt = Callable[[str, str, Callable[[], None]], None]


def tell_worker(
    settings: Settings,
    conn: psycopg.Connection[Any],
    worker_id: int,
    payload: dict[str, Any],
    attempt: Attempt,
) -> None:
    """An alert that concerns a worker: a notice in their inbox, and a Web Push to each of
    their installed apps, unless they turned that kind of notice off."""
    kind = notice_kind(payload["rule"])
    if kind.value in muted_kinds(conn, worker_id):
        return
    transition = payload["transition"]
    title, text = worker_notice(kind, payload["message_zh"], transition)
    notice_id = record_notice(
        conn,
        worker_id,
        kind=kind,
        source=f"alert:{payload['alert_id']}:{transition}",
        title_zh=title,
        body_zh=text,
        project_id=payload["project_id"],
    )
    key = settings.vapid_private_key
    if key is None:
        return
    notice = {"notice_id": notice_id, "kind": kind.value, "title_zh": title, "body_zh": text}
    for subscription_id, subscription in subscriptions_of(conn, worker_id):
        send = partial(
            push,
            conn,
            subscription_id,
            subscription,
            notice,
            vapid_private_key=key,
            vapid_subject=settings.vapid_subject,
        )
        attempt("push", f"worker:{worker_id}:{subscription_id}", send)


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

    beat = (
        ["--beat", f"--schedule={settings.resolved_data_dir / 'celerybeat-schedule'}"]
        if settings.celery_beat
        else []  # another worker runs the schedule: each period is evaluated once
    )
    queues = [queue_name(settings, queue) for queue in settings.celery_queues.split(",")]
    app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={settings.celery_threads}",
            f"--queues={','.join(queues)}",
            f"--loglevel={settings.log_level.upper()}",
            *beat,
            f"--hostname=sitepulse-{settings.replica}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    run_celery_worker(load_settings())
