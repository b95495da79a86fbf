"""Turning a SELECT's row into its pydantic view, by the column list the SELECT used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=BaseModel)


class RowReader(Generic[View]):
    """``RowReader(ProjectView, "project_id, name, …")(row)``; the names are split once."""

    def __init__(self, model: type[View], columns: str) -> None:
        self._model = model
        self._names = tuple(name.strip() for name in columns.split(","))

    def __call__(self, row: Sequence[Any]) -> View:
        return self._model.model_validate(dict(zip(self._names, row, strict=True)))
