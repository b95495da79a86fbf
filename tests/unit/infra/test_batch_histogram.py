"""The batch histogram is exposed exactly as prometheus_client's own Histogram."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from infra.batch_histogram import BatchHistogram

BUCKETS = (0.01, 0.1, 1, 10)
# Below, on and between the bounds, and beyond the last one.
VALUES = {"stored": [0.0, 0.01, 0.05, 0.1, 0.5, 1.0, 9.99, 10.0, 11.0, 3600.0], "matched": [2.5]}


def _page(registry: CollectorRegistry) -> list[str]:
    lines = generate_latest(registry).decode().splitlines()
    return sorted(line for line in lines if "_created" not in line)


def test_exposed_as_prometheus_client_histogram() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("delay_seconds", "Delay", "stage", BUCKETS, registry=ours)
    single = Histogram("delay_seconds", "Delay", ["stage"], buckets=BUCKETS, registry=theirs)
    for stage, values in VALUES.items():
        batch.observe(stage, values[:3])
        batch.observe(stage, values[3:])
        for value in values:
            single.labels(stage).observe(value)
    assert _page(ours) == _page(theirs)
    assert 'delay_seconds_bucket{le="1.0",stage="stored"} 6.0' in _page(ours)


def test_an_empty_batch_adds_a_series_with_nothing_counted() -> None:
    registry = CollectorRegistry()
    batch = BatchHistogram("delay_seconds", "Delay", "stage", BUCKETS, registry=registry)
    batch.observe("ingested", [])
    assert 'delay_seconds_count{stage="ingested"} 0.0' in _page(registry)
