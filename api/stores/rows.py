"""Rows as their pydantic views, by the column names PostgreSQL reports (psycopg's
``class_row``): no column list is kept by hand beside the SELECT."""

from __future__ import annotations

from typing import Any, TypeVar

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import class_row
from pydantic import BaseModel

View = TypeVar("View", bound=BaseModel)


def reading(conn: AsyncConnection[Any], view: type[View]) -> AsyncCursor[View]:
    """A cursor whose rows are ``view`` instances, validated as they are read."""
    return conn.cursor(row_factory=class_row(view))
