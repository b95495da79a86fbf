"""Projects' wage accounts (工资专户): the only writer of ``wage_accounts``."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.stores.audit import audit
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class WageAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    project_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    enterprise_id: int = Field(ge=1, lt=2**63, description="the holder: the general contractor")
    bank_code: str = Field(pattern=r"^[A-Z]{2,12}$")
    account_number: str = Field(pattern=r"^[0-9]{8,32}$")
    account_name: str = Field(min_length=1, max_length=128)
    opened_on: date


class WageAccountView(BaseModel):
    account_id: int
    project_id: str
    enterprise_id: int
    bank_code: str
    account_number: str
    account_name: str
    opened_on: date
    verification: str
    verified_by: str
    verification_ref: str | None


_COLUMNS = (
    "account_id, project_id, enterprise_id, bank_code, account_number, account_name,"
    " opened_on, verification, verified_by, verification_ref"
)


async def check_account_parties(conn: AsyncConnection[Any], account: WageAccountIn) -> None:
    """The holder takes part in the project as its general contractor; the bank exists."""
    cursor = await conn.execute(
        "SELECT role FROM project_enterprises WHERE project_id = %s AND enterprise_id = %s",
        (account.project_id, account.enterprise_id),
    )
    row = await cursor.fetchone()
    if row is None or row[0] != "general_contractor":
        raise InvalidInputError(
            [
                FieldProblem(
                    "enterprise_id",
                    "not the project's general contractor",
                    "专户须由项目总包单位开立",
                )
            ]
        )
    bank = await conn.execute("SELECT 1 FROM banks WHERE bank_code = %s", (account.bank_code,))
    if await bank.fetchone() is None:
        raise InvalidInputError([FieldProblem("bank_code", "unknown bank", "银行不存在")])


async def add_wage_account(
    conn: AsyncConnection[Any],
    account: WageAccountIn,
    *,
    verification: str,
    verified_by: str,
    verification_ref: str | None,
    actor: str,
) -> WageAccountView:
    async with conn.transaction():
        cursor = await reading(conn, WageAccountView).execute(
            "INSERT INTO wage_accounts (project_id, enterprise_id, bank_code, account_number,"
            " account_name, opened_on, verification, verified_by, verification_ref)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (project_id) DO NOTHING"
            f" RETURNING {_COLUMNS}",
            (
                account.project_id,
                account.enterprise_id,
                account.bank_code,
                account.account_number,
                account.account_name,
                account.opened_on,
                verification,
                verified_by,
                verification_ref,
            ),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"project {account.project_id} already has a wage account")
        await audit(
            conn,
            actor=actor,
            action="wage_account.add",
            entity="project",
            entity_id=account.project_id,
            detail={"bank_code": account.bank_code, "verification": verification},
        )
    return row


async def wage_account_of(conn: AsyncConnection[Any], project_id: str) -> WageAccountView:
    cursor = await reading(conn, WageAccountView).execute(
        f"SELECT {_COLUMNS} FROM wage_accounts WHERE project_id = %s", (project_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"project {project_id} has no wage account yet")
    return row
