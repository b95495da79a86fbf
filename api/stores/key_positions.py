"""Key positions (关键岗位): entry and exit requested on site, approved by a regulator.

pending_entry --approve--> active --request exit--> pending_exit --approve--> exited
pending_entry --reject--> rejected;  pending_exit --reject--> active
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.stores.audit import audit
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError

POSITIONS = (
    "project_manager",
    "technical_lead",
    "chief_supervisor",
    "safety_officer",
    "quality_officer",
    "labour_officer",
)


class KeyPositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: int = Field(ge=1, lt=2**63)
    position: str = Field(pattern="^(" + "|".join(POSITIONS) + ")$")


class KeyPositionView(BaseModel):
    position_id: int
    project_id: str
    worker_id: int
    position: str
    status: str
    decision_reason: str


_COLUMNS = "position_id, project_id, worker_id, position, status, decision_reason"


async def request_entry(
    conn: AsyncConnection[Any], project_id: str, request: KeyPositionIn, *, actor: str
) -> KeyPositionView:
    async with conn.transaction():
        member = await conn.execute(
            "SELECT 1 FROM memberships WHERE worker_id = %s AND project_id = %s"
            " AND status = 'active'",
            (request.worker_id, project_id),
        )
        if await member.fetchone() is None:
            problem = FieldProblem(
                "worker_id", "must be an active worker of the project", "须为本项目在场人员"
            )
            raise InvalidInputError([problem])
        cursor = await reading(conn, KeyPositionView).execute(
            "INSERT INTO key_positions (project_id, worker_id, position, requested_by)"
            f" VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
            (project_id, request.worker_id, request.position, actor),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(f"{request.position} of {project_id} is already held or pending")
        await audit(
            conn,
            actor=actor,
            action="key_position.request_entry",
            entity="key_position",
            entity_id=str(row.position_id),
        )
    return row


async def position_project(conn: AsyncConnection[Any], position_id: int) -> str:
    cursor = await conn.execute(
        "SELECT project_id FROM key_positions WHERE position_id = %s", (position_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"key position {position_id} does not exist")
    return str(row[0])


async def request_exit(
    conn: AsyncConnection[Any], position_id: int, *, actor: str, reason: str
) -> KeyPositionView:
    cursor = await reading(conn, KeyPositionView).execute(
        "UPDATE key_positions SET status = 'pending_exit', exit_requested_at = now(),"
        f" decision_reason = %s WHERE position_id = %s AND status = 'active' RETURNING {_COLUMNS}",
        (reason, position_id),
    )
    row = await cursor.fetchone()
    if row is None:
        raise ConflictError(f"key position {position_id} is not active")
    await audit(
        conn,
        actor=actor,
        action="key_position.request_exit",
        entity="key_position",
        entity_id=str(position_id),
        reason=reason,
    )
    return row


_TRANSITIONS = {
    ("pending_entry", True): ("active", "entry"),
    ("pending_entry", False): ("rejected", "entry"),
    ("pending_exit", True): ("exited", "exit"),
    ("pending_exit", False): ("active", "exit"),
}


async def decide(
    conn: AsyncConnection[Any], position_id: int, *, approve: bool, actor: str, reason: str
) -> KeyPositionView:
    """A regulator's decision on whichever request is pending."""
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT status FROM key_positions WHERE position_id = %s FOR UPDATE", (position_id,)
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"key position {position_id} does not exist")
        if (row[0], approve) not in _TRANSITIONS:
            raise ConflictError(f"key position {position_id} has no pending request ({row[0]})")
        new_status, stage = _TRANSITIONS[(row[0], approve)]
        verdict = "approve" if approve else "reject"
        cursor = await reading(conn, KeyPositionView).execute(
            f"UPDATE key_positions SET status = %s, {stage}_decided_by = %s,"
            f" {stage}_decided_at = now(), decision_reason = %s WHERE position_id = %s"
            f" RETURNING {_COLUMNS}",
            (new_status, actor, reason, position_id),
        )
        updated = await cursor.fetchone()
        assert updated is not None
        await audit(
            conn,
            actor=actor,
            action=f"key_position.{stage}_{verdict}",
            entity="key_position",
            entity_id=str(position_id),
            reason=reason,
        )
    return updated


async def list_positions(conn: AsyncConnection[Any], project_id: str) -> list[KeyPositionView]:
    cursor = await reading(conn, KeyPositionView).execute(
        f"SELECT {_COLUMNS} FROM key_positions WHERE project_id = %s ORDER BY position_id",
        (project_id,),
    )
    return await cursor.fetchall()
