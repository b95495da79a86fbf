"""Response envelopes shared by the routes: a list of items, a page of items."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

Item = TypeVar("Item")


class Items(BaseModel, Generic[Item]):
    items: list[Item]


class PageOf(BaseModel, Generic[Item]):
    items: list[Item]
    total: int | None = None
    limit: int
    offset: int
