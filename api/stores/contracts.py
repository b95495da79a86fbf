"""Labour contracts (劳动合同) with attachment metadata (the file itself lives elsewhere)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.stores.audit import audit
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=1, max_length=64)
    project_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    enterprise_id: int = Field(ge=1, lt=2**63)
    kind: str = Field(pattern="^(fixed_term|task_based|open_ended)$")
    signed_on: date
    starts_on: date
    ends_on: date | None = None
    wage_basis: str = Field(pattern="^(daily|monthly|piecework)$")
    wage_amount: Decimal = Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    attachment_name: str | None = Field(default=None, max_length=256)
    attachment_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    attachment_bytes: int | None = Field(default=None, ge=0, lt=2**63)

    @model_validator(mode="after")
    def _consistent(self) -> ContractIn:
        if (self.kind == "open_ended") != (self.ends_on is None):
            raise ValueError("ends_on is required unless the contract is open_ended")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ContractView(ContractIn):
    contract_id: int
    worker_id: int


_COLUMNS = (
    "contract_id, worker_id, number, project_id, enterprise_id, kind, signed_on, starts_on,"
    " ends_on, wage_basis, wage_amount, attachment_name, attachment_sha256, attachment_bytes"
)


async def add_contract(
    conn: AsyncConnection[Any], worker_id: int, contract: ContractIn, *, actor: str
) -> ContractView:
    async with conn.transaction():
        member = await conn.execute(
            "SELECT 1 FROM memberships m JOIN project_enterprises pe"
            " ON pe.project_id = m.project_id AND pe.enterprise_id = %s"
            " WHERE m.worker_id = %s AND m.project_id = %s",
            (contract.enterprise_id, worker_id, contract.project_id),
        )
        if await member.fetchone() is None:
            problem = FieldProblem(
                "project_id",
                "the worker must be registered in the project and the enterprise"
                " must take part in it",
                "工人须在该项目登记，且企业须参建该项目",
            )
            raise InvalidInputError([problem])
        values = contract.model_dump()
        cursor = await reading(conn, ContractView).execute(
            f"INSERT INTO labour_contracts ({_COLUMNS.replace('contract_id, ', '')})"
            " VALUES (%(worker_id)s, %(number)s, %(project_id)s, %(enterprise_id)s, %(kind)s,"
            " %(signed_on)s, %(starts_on)s, %(ends_on)s, %(wage_basis)s, %(wage_amount)s,"
            " %(attachment_name)s, %(attachment_sha256)s, %(attachment_bytes)s)"
            f" ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
            {**values, "worker_id": worker_id},
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"contract number {contract.number!r} is already used")
        await audit(
            conn,
            actor=actor,
            action="contract.add",
            entity="worker",
            entity_id=str(worker_id),
            detail={"contract_id": row.contract_id},
        )
    return row


async def contracts_of(conn: AsyncConnection[Any], worker_id: int) -> list[ContractView]:
    cursor = await reading(conn, ContractView).execute(
        f"SELECT {_COLUMNS} FROM labour_contracts WHERE worker_id = %s ORDER BY contract_id",
        (worker_id,),
    )
    return await cursor.fetchall()
