"""Administrative regions (行政区划): the only writer of ``regions``."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from infra.errors import ConflictError, FieldProblem, InvalidInputError


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[1-9][0-9]{5}$")
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(pattern="^(city|district)$")
    parent_code: str = Field(pattern=r"^[1-9][0-9]{5}$")


class RegionView(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None


async def list_regions(conn: AsyncConnection[Any]) -> list[RegionView]:
    cursor = await conn.execute("SELECT code, name, level, parent_code FROM regions ORDER BY code")
    return [
        RegionView(code=c, name=n, level=lv, parent_code=p)
        for c, n, lv, p in await cursor.fetchall()
    ]


async def add_region(conn: AsyncConnection[Any], region: RegionIn) -> RegionView:
    parent = await conn.execute("SELECT 1 FROM regions WHERE code = %s", (region.parent_code,))
    if await parent.fetchone() is None:
        raise InvalidInputError([FieldProblem("parent_code", "unknown region", "上级区划不存在")])
    cursor = await conn.execute(
        "INSERT INTO regions (code, name, level, parent_code) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING code",
        (region.code, region.name, region.level, region.parent_code),
    )
    if await cursor.fetchone() is None:
        raise ConflictError(f"region {region.code} already exists")
    return RegionView(**region.model_dump())
