"""Enterprises (参建单位) and the projects they take part in."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.identity import validate_credit_code
from api.stores.audit import audit
from api.stores.patching import changed_fields, set_clause
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError

KINDS = "general_contractor|subcontractor|labour_company"


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    credit_code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    kind: str = Field(pattern=f"^({KINDS})$")
    region_code: str | None = Field(default=None, pattern=r"^[1-9][0-9]{5}$")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        try:
            return validate_credit_code(value)
        except InvalidInputError as exc:
            raise ValueError(exc.problems[0].reason) from None


class EnterpriseView(EnterpriseIn):
    enterprise_id: int


class ParticipationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: int = Field(ge=1, lt=2**63)
    role: str = Field(pattern=f"^({KINDS})$")


_COLUMNS = "enterprise_id, credit_code, name, kind, region_code"


async def create_enterprise(
    conn: AsyncConnection[Any], enterprise: EnterpriseIn, *, actor: str
) -> EnterpriseView:
    async with conn.transaction():
        cursor = await reading(conn, EnterpriseView).execute(
            "INSERT INTO enterprises (credit_code, name, kind, region_code)"
            f" VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
            (enterprise.credit_code, enterprise.name, enterprise.kind, enterprise.region_code),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError("an enterprise with this credit code is already registered")
        await audit(
            conn,
            actor=actor,
            action="enterprise.create",
            entity="enterprise",
            entity_id=str(row.enterprise_id),
        )
    return row


async def find_enterprises(
    conn: AsyncConnection[Any], *, name: str | None, limit: int, offset: int
) -> list[EnterpriseView]:
    pattern = "%" + (name or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    cursor = await reading(conn, EnterpriseView).execute(
        f"SELECT {_COLUMNS} FROM enterprises WHERE name LIKE %s ORDER BY enterprise_id"
        " LIMIT %s OFFSET %s",
        (pattern, limit, offset),
    )
    return await cursor.fetchall()


async def add_participant(
    conn: AsyncConnection[Any], project_id: str, participation: ParticipationIn, *, actor: str
) -> None:
    async with conn.transaction():
        exists = await conn.execute(
            "SELECT 1 FROM enterprises WHERE enterprise_id = %s", (participation.enterprise_id,)
        )
        if await exists.fetchone() is None:
            raise InvalidInputError(
                [FieldProblem("enterprise_id", "unknown enterprise", "企业不存在")]
            )
        project = await conn.execute("SELECT 1 FROM projects WHERE project_id = %s", (project_id,))
        if await project.fetchone() is None:
            raise NotFoundError(f"project {project_id!r} does not exist")
        cursor = await conn.execute(
            "INSERT INTO project_enterprises (project_id, enterprise_id, role)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING project_id",
            (project_id, participation.enterprise_id, participation.role),
        )
        if await cursor.fetchone() is None:
            raise ConflictError("this enterprise already takes part in the project")
        await audit(
            conn,
            actor=actor,
            action="project.add_enterprise",
            entity="project",
            entity_id=project_id,
            detail=participation.model_dump(),
        )


class EnterprisePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=128)
    region_code: str | None = Field(default=None, pattern=r"^[1-9][0-9]{5}$")


async def get_enterprise(conn: AsyncConnection[Any], enterprise_id: int) -> EnterpriseView:
    cursor = await reading(conn, EnterpriseView).execute(
        f"SELECT {_COLUMNS} FROM enterprises WHERE enterprise_id = %s", (enterprise_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"enterprise {enterprise_id} does not exist")
    return row


async def update_enterprise(
    conn: AsyncConnection[Any], enterprise_id: int, patch: EnterprisePatch, *, actor: str
) -> EnterpriseView:
    changes = changed_fields(patch, clearable=frozenset({"region_code"}))
    assignments = set_clause(changes)
    async with conn.transaction():
        cursor = await reading(conn, EnterpriseView).execute(
            f"UPDATE enterprises SET {assignments} WHERE enterprise_id = %(enterprise_id)s"
            f" RETURNING {_COLUMNS}",
            {**changes, "enterprise_id": enterprise_id},
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"enterprise {enterprise_id} does not exist")
        await audit(
            conn,
            actor=actor,
            action="enterprise.update",
            entity="enterprise",
            entity_id=str(enterprise_id),
            detail={"fields": sorted(changes)},
        )
    return row
