"""A payroll officer sets their own security password (安全密码)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth.principal import Role
from api.dependencies import Caller, Services
from api.stores.accounts import password_of_user
from api.stores.audit import audit
from api.stores.payroll_passwords import set_payroll_password
from infra.errors import AuthenticationError, ForbiddenError

router = APIRouter(tags=["payroll"])


class PayrollPasswordIn(BaseModel):
    login_password: str = Field(min_length=1, max_length=256, description="to prove it is you")
    security_password: str = Field(min_length=1, max_length=256)


class PayrollPasswordSet(BaseModel):
    user_id: int
    set: bool


@router.put("/v1/me/payroll-password", response_model=PayrollPasswordSet)
async def put_payroll_password(
    body: PayrollPasswordIn, who: Caller, app: Services
) -> PayrollPasswordSet:
    """Set or change the caller's security password; it must differ from the login one."""
    if who.role is not Role.LABOUR_OFFICER:
        raise ForbiddenError(
            "only labour officers run payroll", message_zh="仅劳资专管员需要安全密码"
        )
    if body.security_password == body.login_password:
        raise ForbiddenError(
            "the security password must differ from the login password",
            message_zh="安全密码不能与登录密码相同",
        )
    async with app.pool.connection() as conn, conn.transaction():
        if not await password_of_user(conn, who.user_id, body.login_password):
            raise AuthenticationError("wrong login password", message_zh="登录密码错误")
        await set_payroll_password(conn, who.user_id, body.security_password)
        await audit(
            conn,
            actor=f"{who.role.value}:{who.user_id}",
            action="payroll.password_set",
            entity="user",
            entity_id=str(who.user_id),
        )
    return PayrollPasswordSet(user_id=who.user_id, set=True)
