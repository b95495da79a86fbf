"""Administrative regions: list them, and regulators register those inside their own."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http import handles_errors, json_object, principal_of
from api.principal import Role
from api.projects import parse_model
from infra.errors import ConflictError, FieldProblem, ForbiddenError, InvalidInputError
from streams.regions import region_prefix


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[1-9][0-9]{5}$")
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(pattern="^(city|district)$")
    parent_code: str = Field(pattern=r"^[1-9][0-9]{5}$")


async def get_regions(request: Request) -> Response:
    principal_of(request)
    async with request.app.state.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT code, name, level, parent_code FROM regions ORDER BY code"
        )
        rows = await cursor.fetchall()
    items = [{"code": c, "name": n, "level": lv, "parent_code": p} for c, n, lv, p in rows]
    return JSONResponse({"items": items})


async def post_region(request: Request) -> Response:
    who = principal_of(request)
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register regions")
    region: RegionIn = parse_model(RegionIn, await json_object(request))
    if not region.code.startswith(region_prefix(who.scope_id)) or region.code == who.scope_id:
        raise ForbiddenError(f"region {region.code} is not inside your region {who.scope_id}")
    async with request.app.state.pool.connection() as conn:
        parent = await conn.execute("SELECT 1 FROM regions WHERE code = %s", (region.parent_code,))
        if await parent.fetchone() is None:
            raise InvalidInputError(
                [FieldProblem("parent_code", "unknown region", "上级区划不存在")]
            )
        cursor = await conn.execute(
            "INSERT INTO regions (code, name, level, parent_code) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING code",
            (region.code, region.name, region.level, region.parent_code),
        )
        if await cursor.fetchone() is None:
            raise ConflictError(f"region {region.code} already exists")
    return JSONResponse(region.model_dump(), status_code=201)


routes = [
    Route("/v1/regions", handles_errors(post_region), methods=["POST"]),
    Route("/v1/regions", handles_errors(get_regions), methods=["GET"]),
]
