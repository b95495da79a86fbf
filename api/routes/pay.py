"""What a worker sees of their pay (工资查询): each month's pay per project and enterprise;
they confirm their line or dispute it (工资异议)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth.guards import own_worker_id
from api.dependencies import Caller, RowId, Services
from api.stores.pay_disputes import (
    ARRIVAL_NOTE_ZH,
    DisputeView,
    PayLine,
    confirm_line,
    open_dispute,
    pay_of_worker,
)

router = APIRouter(tags=["payroll"])


class MyPay(BaseModel):
    worker_id: int
    note_zh: str
    items: list[PayLine]


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


@router.get("/v1/me/pay", response_model=MyPay)
async def get_my_pay(who: Caller, app: Services) -> MyPay:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        items = await pay_of_worker(conn, worker_id)
    return MyPay(worker_id=worker_id, note_zh=ARRIVAL_NOTE_ZH, items=items)


@router.post("/v1/me/pay/{line_id:int}/confirm", response_model=MyPay)
async def post_confirm(line_id: RowId, who: Caller, app: Services) -> MyPay:
    """The worker confirms their line: the amount before payment, or its arrival after."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        await confirm_line(conn, worker_id, line_id)
        items = await pay_of_worker(conn, worker_id)
    return MyPay(worker_id=worker_id, note_zh=ARRIVAL_NOTE_ZH, items=items)


@router.post("/v1/me/pay/{line_id:int}/dispute", status_code=201, response_model=DisputeView)
async def post_dispute(line_id: RowId, body: DisputeIn, who: Caller, app: Services) -> DisputeView:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return await open_dispute(conn, worker_id, line_id, body.reason)
