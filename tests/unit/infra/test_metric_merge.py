"""Two processes' metrics as one page: counters and histograms add up per label set,
each process's own series kept, and the page parses as Prometheus text."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from infra.batch_histogram import BatchHistogram
from infra.metric_merge import registry_of


def registry(stored: int, dead: int, delays: list[float]) -> CollectorRegistry:
    registry = CollectorRegistry()
    events = Counter("x_events_total", "Events", ["outcome"], registry=registry)
    events.labels("stored").inc(stored)
    if dead:
        events.labels("dead_letter").inc(dead)
    latency = Histogram("x_seconds", "Latency", buckets=(0.1, 1), registry=registry)
    for delay in delays:
        latency.observe(delay)
    BatchHistogram("x_delay_seconds", "Delay", "stage", (0.1, 1), registry=registry).observe(
        "stored", delays
    )
    return registry


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_samples_of_the_same_series_add_up_and_the_others_are_kept() -> None:
    worker = registry(stored=3, dead=0, delays=[0.05])
    child = registry(stored=4, dead=2, delays=[0.5, 2.0])
    merged = samples(generate_latest(registry_of([*worker.collect(), *child.collect()])).decode())
    assert merged[("x_events_total", (("outcome", "stored"),))] == 7
    assert merged[("x_events_total", (("outcome", "dead_letter"),))] == 2
    assert merged[("x_seconds_count", ())] == 3
    assert merged[("x_seconds_bucket", (("le", "0.1"),))] == 1
    assert merged[("x_seconds_bucket", (("le", "1.0"),))] == 2
    assert merged[("x_seconds_sum", ())] == 2.55
    assert merged[("x_delay_seconds_bucket", (("le", "+Inf"), ("stage", "stored")))] == 3
    created = [
        value for (name, labels), value in merged.items() if name == "x_events_created" and labels
    ]
    worker_created = samples(generate_latest(worker).decode())
    assert min(created) <= worker_created[("x_events_created", (("outcome", "stored"),))]
