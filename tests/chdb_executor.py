"""An Executor over chdb (a current ClickHouse, in process) for the dialect tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from chdb import session as chdb_session
from clickhouse_driver.util.escape import escape_param, escape_params

# What clickhouse-driver's escaping asks of a connection: only the server's time zone.
_CONTEXT = SimpleNamespace(server_info=SimpleNamespace(get_timezone=lambda: "UTC"))


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind.startswith("Nullable("):
        return _convert(kind[9:-1], value)
    if kind.startswith("Array("):
        return [_convert(kind[6:-1], item) for item in value]
    if kind == "Date":
        return date.fromisoformat(value)
    if kind.startswith("DateTime"):
        return datetime.fromisoformat(value)
    if kind.startswith(("UInt", "Int")):
        return int(value)
    if kind.startswith("Float"):
        return float(value)
    return value


class ChdbExecutor:
    def __init__(self, path: Path, database: str = "sitepulse") -> None:
        self._session = chdb_session.Session(str(path))
        self._session.query(f"CREATE DATABASE IF NOT EXISTS {database}")
        self._session.query(f"USE {database}")

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        text = sql % escape_params(params, _CONTEXT) if params else sql
        result = self._session.query(text, "JSONCompact")
        body = str(result).strip()
        if not body:
            return []
        parsed = json.loads(body)
        kinds = [column["type"] for column in parsed["meta"]]
        return [
            tuple(_convert(kind, value) for kind, value in zip(kinds, row, strict=True))
            for row in parsed["data"]
        ]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        values = ", ".join(
            "(" + ", ".join(str(escape_param(value, _CONTEXT)) for value in row) + ")"
            for row in rows
        )
        self._session.query(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")

    def close(self) -> None:
        self._session.close()
