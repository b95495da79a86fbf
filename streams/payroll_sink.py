"""The payroll topic into ClickHouse: each fact becomes the newest state of its wage line
or sheet. A fact that cannot become a row, or that ClickHouse refuses, is dead-lettered
with the reason; an outage is waited out (nothing is acknowledged meanwhile)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any

from pydantic import ValidationError

from analytics.executor import Executor
from analytics.isolation import write_isolating
from analytics.wage_sink import LINE_COLUMNS, LINE_FACTS, SHEET_COLUMNS, line_row, sheet_row
from infra.metrics import EVENTS
from infra.outages import is_outage
from infra.retry import retrying
from streams.dead_letters import DeadLetters
from streams.records import PayrollFact


class PayrollSink:
    def __init__(self, db: Executor, dead_letters: DeadLetters, source_topic: str) -> None:
        self._db = db
        self._dead_letters = dead_letters
        self._source = source_topic

    async def handle(self, values: Sequence[bytes | None]) -> None:
        lines: list[tuple[Any, ...]] = []
        sheets: list[tuple[Any, ...]] = []
        for value in values:
            try:
                fact = PayrollFact.model_validate_json(value or b"")
                if fact.fact in LINE_FACTS:
                    lines.append(line_row(fact))
                elif fact.fact == "sheet":
                    sheets.append(sheet_row(fact))
            except (ValidationError, ValueError) as exc:
                reason = " ".join(str(exc).split())[:500]
                await self._dead_letters.send(self._source, "invalid", reason, value)
        await self._write("wage_lines", LINE_COLUMNS, lines)
        await self._write("wage_sheets", SHEET_COLUMNS, sheets)
        EVENTS.labels("streams", "payroll_facts").inc(len(values))

    async def _write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        write = partial(self._db.insert, table, columns)
        refused = await retrying(
            "clickhouse",
            lambda: asyncio.to_thread(write_isolating, rows, write, is_outage=is_outage),
        )
        for rejected in refused:
            payload = repr(rejected.row).encode()
            await self._dead_letters.send(table, "store_refused", rejected.reason, payload)
