"""A project's wage account (工资专户): added by the project's labour officer after their
security password, verified by the bank's API or recorded as verified by hand."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth.guards import actor_of, require_visible_project
from api.auth.payroll_officer import PayrollOfficer
from api.auth.principal import ScopeKind
from api.dependencies import Caller, Services, TextId
from api.payroll.bank_api import verify_account
from api.stores.wage_accounts import (
    WageAccountIn,
    WageAccountView,
    add_wage_account,
    check_account_parties,
    wage_account_of,
)
from infra.errors import ForbiddenError

router = APIRouter(tags=["payroll"])


@router.post("/v1/payroll/wage-accounts", status_code=201, response_model=WageAccountView)
async def post_wage_account(
    account: WageAccountIn, who: PayrollOfficer, app: Services
) -> WageAccountView:
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, account.project_id)
        await check_account_parties(conn, account)
    verified = await verify_account(
        app.settings.bank_api_url, account.bank_code, account.account_number, account.account_name
    )
    async with app.pool.connection() as conn:
        return await add_wage_account(
            conn,
            account,
            verification=verified.method,
            verified_by=actor_of(who),
            verification_ref=verified.reference,
            actor=actor_of(who),
        )


@router.get("/v1/projects/{project_id}/wage-account", response_model=WageAccountView)
async def get_wage_account(project_id: TextId, who: Caller, app: Services) -> WageAccountView:
    if who.scope_kind is ScopeKind.WORKER:
        raise ForbiddenError("workers do not see wage accounts")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await wage_account_of(conn, project_id)
