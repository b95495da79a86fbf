"""Rows waiting for one batched write, with the acknowledgements that must wait for it.

Pure: the caller passes the clock. ClickHouse wants few large inserts (1,000 rows or
once a second); a message's offset may only be committed once its row is written.
"""

from __future__ import annotations

from typing import Generic, TypeVar

Row = TypeVar("Row")
Hold = TypeVar("Hold")


class SinkBuffer(Generic[Row, Hold]):
    def __init__(self, *, max_rows: int, max_age_s: float) -> None:
        self._max_rows = max_rows
        self._max_age_s = max_age_s
        self._rows: list[Row] = []
        self._holds: list[Hold] = []
        self._first_at: float | None = None

    def add(self, rows: list[Row], holds: list[Hold], *, now: float) -> None:
        if not rows and not holds:
            return
        if self._first_at is None:
            self._first_at = now
        self._rows.extend(rows)
        self._holds.extend(holds)

    def due(self, *, now: float) -> bool:
        """True once the batch is full or its oldest entry has waited ``max_age_s``."""
        if self._first_at is None:
            return False
        return len(self._rows) >= self._max_rows or now - self._first_at >= self._max_age_s

    def take(self) -> tuple[list[Row], list[Hold]]:
        rows, holds = self._rows, self._holds
        self._rows, self._holds, self._first_at = [], [], None
        return rows, holds

    def __len__(self) -> int:
        return len(self._rows)
