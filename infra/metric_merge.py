"""One process's metrics page from the metrics of several (the streams worker and the
process it runs the passes role in): families of the same name become one, and samples
with the same name and labels add up, as each process counts its own share of the work.
A ``_created`` sample keeps the earliest time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.samples import Sample


def merge_families(families: Iterable[Metric]) -> list[Metric]:
    merged: dict[str, Metric] = {}
    samples: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], Sample]] = {}
    for family in families:
        if family.name not in merged:
            merged[family.name] = Metric(
                family.name, family.documentation, family.type, family.unit
            )
            samples[family.name] = {}
        into = samples[family.name]
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            earlier = into.get(key)
            if earlier is None:
                into[key] = sample
            elif sample.name.endswith("_created"):
                into[key] = earlier._replace(value=min(earlier.value, sample.value))
            else:
                into[key] = earlier._replace(value=earlier.value + sample.value)
    for name, family in merged.items():
        family.samples = list(samples[name].values())
    return list(merged.values())


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def registry_of(families: Iterable[Metric]) -> CollectorRegistry:
    """A registry that exposes ``families``, merged (for ``generate_latest``)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(merge_families(families)))
    return registry
