"""Writing a batch that a store may refuse in part.

A store that refuses a batch (it answered, and said no to the data) usually objects to
one row: a time it cannot hold, a value of the wrong shape. Retrying the batch would
block every row behind that one forever, so the batch is split in halves until each
refused row stands alone; the rest is written. An outage (the store did not answer) is
not narrowed down: it is raised, for the caller to retry the whole batch later. Stores
here are idempotent, so rows written before an outage may be written again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R")


@dataclass(frozen=True)
class Refused(Generic[R]):
    row: R
    reason: str


def write_isolating(
    rows: Sequence[R],
    write: Callable[[Sequence[R]], object],
    *,
    is_outage: Callable[[BaseException], bool],
) -> list[Refused[R]]:
    """Write ``rows``; return the rows the store refused, each with its reason.

    Costs one write when all rows are accepted, about ``2·log2(n)`` per refused row."""
    if not rows:
        return []
    try:
        write(rows)
        return []
    except Exception as error:
        if is_outage(error):
            raise
        if len(rows) == 1:
            return [Refused(rows[0], describe(error))]
    middle = len(rows) // 2
    return [
        *write_isolating(rows[:middle], write, is_outage=is_outage),
        *write_isolating(rows[middle:], write, is_outage=is_outage),
    ]


def describe(error: BaseException) -> str:
    """The store's own words, on one line and of bounded length."""
    text = " ".join(str(error).split()) or "no message"
    return f"{type(error).__name__}: {text[:500]}"
