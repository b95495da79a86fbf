"""Administrative regions: list them, and regulators register those inside their own."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth.principal import Role
from api.dependencies import Caller, Services
from api.envelopes import Items
from api.stores.regions import RegionIn, RegionView, add_region, list_regions
from infra.errors import ForbiddenError
from streams.regions import region_prefix

router = APIRouter(tags=["regions"])


@router.get("/v1/regions", response_model=Items[RegionView])
async def get_regions(who: Caller, app: Services) -> Items[RegionView]:
    async with app.pool.connection() as conn:
        return Items[RegionView](items=await list_regions(conn))


@router.post("/v1/regions", status_code=201, response_model=RegionView)
async def post_region(region: RegionIn, who: Caller, app: Services) -> RegionView:
    if who.role is not Role.REGULATOR:
        raise ForbiddenError("only regulators register regions")
    if not region.code.startswith(region_prefix(who.scope_id)) or region.code == who.scope_id:
        raise ForbiddenError(f"region {region.code} is not inside your region {who.scope_id}")
    async with app.pool.connection() as conn:
        return await add_region(conn, region)
