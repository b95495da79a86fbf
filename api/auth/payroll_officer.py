"""The payroll officer (劳资专管员) of a project, proven at each payroll step by their own
security password (安全密码) in the ``X-Payroll-Password`` header. Wrong passwords count
toward a lockout, like logins; a password proven lately is trusted again for a few minutes
(:mod:`api.auth.recent_proofs`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from api.auth.passwords import verified
from api.auth.principal import Principal, Role
from api.dependencies import Caller, Services
from api.stores.payroll_passwords import payroll_password_hash
from infra.errors import ForbiddenError


async def payroll_officer(
    request: Request,
    who: Caller,
    app: Services,
    password: Annotated[
        str | None,
        Header(alias="X-Payroll-Password", description="the officer's payroll security password"),
    ] = None,
) -> Principal:
    if who.role is not Role.LABOUR_OFFICER:
        raise ForbiddenError(
            "only a project's labour officer runs payroll",
            message_zh="仅项目劳资专管员可操作工资发放",
        )
    if not password:
        raise ForbiddenError(
            "the payroll security password is required (X-Payroll-Password)",
            message_zh="请输入安全密码",
        )
    key = f"payroll:{who.user_id}"
    address = request.client.host if request.client else "unknown"
    await app.login_guard.check(key, address)
    async with app.pool.connection() as conn:
        stored = await payroll_password_hash(conn, who.user_id)
    if stored is None:
        raise ForbiddenError(
            "set your payroll security password first (PUT /v1/me/payroll-password)",
            message_zh="请先设置安全密码",
        )
    if not app.payroll_proofs.holds(who.user_id, stored, password):
        if not await verified(stored, password):
            await app.login_guard.failed(key, address)
            raise ForbiddenError("wrong payroll security password", message_zh="安全密码错误")
        app.payroll_proofs.remember(who.user_id, stored, password)
    await app.login_guard.succeeded(key)  # a right password clears the failures, as a login
    return who


PayrollOfficer = Annotated[Principal, Depends(payroll_officer)]
