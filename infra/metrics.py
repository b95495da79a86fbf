"""Prometheus metrics shared by every SitePulse service (one registry per process)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import chain

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.batch_histogram import BatchHistogram
from infra.metric_merge import registry_of

_DELAY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400)
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

EVENTS = Counter(
    "sitepulse_events_total", "Events handled, by service and outcome", ["service", "outcome"]
)
ERRORS = Counter("sitepulse_errors_total", "Errors, by service and kind", ["service", "kind"])
DEAD_LETTERS = Counter(
    "sitepulse_dead_letters_total",
    "Values sent to the dead-letter topic, by service and reason",
    ["service", "reason"],
)
EVENT_DELAY = BatchHistogram(
    "sitepulse_event_delay_seconds",
    "Delay from the device's occurred_at until a stage handled the event",
    "stage",
    _DELAY_BUCKETS,
)
STAGE_LATENCY = Histogram(
    "sitepulse_stage_seconds",
    "Time one operation of a stage took (a Kafka send, a ClickHouse batch insert, ...)",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)


EVALUATION_SECONDS = Histogram(
    "sitepulse_alert_evaluation_seconds",
    "One scheduled alert evaluation of every running project",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
PROJECTS_EVALUATED = Gauge(
    "sitepulse_alert_projects_evaluated",
    "Projects the last scheduled alert evaluation judged (the others failed and were skipped)",
)


def observe_delay(stage: str, occurred_at: datetime, now: datetime | None = None) -> None:
    observe_delays(stage, [occurred_at], now)


def observe_delays(stage: str, occurred: Iterable[datetime], now: datetime | None = None) -> None:
    """The delay of each event from ``occurred_at`` to ``now``."""
    moment = now or datetime.now(UTC)
    EVENT_DELAY.observe(
        stage, [max(0.0, (moment - occurred_at).total_seconds()) for occurred_at in occurred]
    )


def exposition(more: list[Metric] | None = None) -> tuple[bytes, str]:
    """The metrics page body and its content type; with ``more`` (another process's
    families) merged in, each sample the sum of both processes'."""
    if not more:
        return generate_latest(), CONTENT_TYPE_LATEST
    return generate_latest(registry_of(chain(REGISTRY.collect(), more))), CONTENT_TYPE_LATEST


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics`` for the Starlette services."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)


def metrics_route() -> Route:
    return Route("/metrics", metrics_endpoint)
