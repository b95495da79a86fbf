"""A worker's labour contracts (劳动合同): record one, list them."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth.guards import actor_of, require_project_in_scope, require_registrar
from api.dependencies import Caller, RowId, Services
from api.envelopes import Items
from api.routes.workers import visible_worker
from api.stores.contracts import ContractIn, ContractView, add_contract, contracts_of

router = APIRouter(tags=["workers"])


@router.post("/v1/workers/{worker_id:int}/contracts", status_code=201, response_model=ContractView)
async def post_contract(
    worker_id: RowId, contract: ContractIn, who: Caller, app: Services
) -> ContractView:
    require_registrar(who, "record labour contracts")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, contract.project_id)
        return await add_contract(conn, worker_id, contract, actor=actor_of(who))


@router.get("/v1/workers/{worker_id:int}/contracts", response_model=Items[ContractView])
async def get_contracts(worker_id: RowId, who: Caller, app: Services) -> Items[ContractView]:
    await visible_worker(app, who, worker_id)
    async with app.pool.connection() as conn:
        return Items[ContractView](items=await contracts_of(conn, worker_id))
