"""Throughput over the middle of a drain, so that neither the first fetch nor the last
write's wait counts: the rate from the 10 % mark of a backlog to its 90 % mark. Both the
bare Faust baseline and the streams worker are timed so."""

from __future__ import annotations

from collections.abc import Sequence

START, END = 0.1, 0.9


def marks(total: int) -> tuple[int, int]:
    """The counts at which the clock starts and stops."""
    return int(total * START), int(total * END)


def crossing(samples: Sequence[tuple[float, float]], count: float) -> float:
    """When a count read at ``(time, count)`` samples first reached ``count``, interpolated
    between the two samples around it (a worker's counters move in steps)."""
    before = samples[0]
    for sample in samples:
        if sample[1] >= count:
            (t0, c0), (t1, c1) = before, sample
            if c1 == c0:
                return t1
            return t0 + (t1 - t0) * (count - c0) / (c1 - c0)
        before = sample
    raise ValueError(f"the count never reached {count}")


def steady_rate(samples: Sequence[tuple[float, float]], total: int) -> float:
    """Events/s between the marks of ``total``, from ``(time, count)`` samples."""
    start, end = marks(total)
    return (end - start) / (crossing(samples, end) - crossing(samples, start))
