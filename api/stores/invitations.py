"""Entry invitations: an enterprise invites a registered worker; the worker accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

from api.identity import parse_resident_id
from api.stores.audit import audit
from api.stores.memberships import enter_project
from api.stores.rows import reading
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id_number: str = Field(min_length=1, max_length=32)
    team_id: int | None = Field(default=None, ge=1, lt=2**63)


class InvitationView(BaseModel):
    invitation_id: int
    project_id: str
    team_id: int | None
    worker_id: int
    status: str
    project_name: str = ""
    enterprises: list[str] = Field(default=[], description="the enterprises of the project")
    invited_at: datetime | None = None
    data_authorized_at: datetime | None = None


_COLUMNS = "invitation_id, project_id, team_id, worker_id, status"
_SHOWN = (
    "i.invitation_id, i.project_id, i.team_id, i.worker_id, i.status, p.name AS project_name,"
    " coalesce((SELECT array_agg(e.name ORDER BY e.name) FROM project_enterprises pe"
    "  JOIN enterprises e USING (enterprise_id) WHERE pe.project_id = i.project_id),"
    " '{}') AS enterprises, i.created_at AS invited_at, i.data_authorized_at"
    " FROM entry_invitations i JOIN projects p USING (project_id)"
)


async def invite(
    conn: AsyncConnection[Any], project_id: str, invitation: InvitationIn, *, actor: str
) -> InvitationView:
    id_number = parse_resident_id(invitation.id_number).number
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT worker_id FROM workers WHERE id_number = %s", (id_number,)
        )
        worker = await cursor.fetchone()
        if worker is None:
            raise NotFoundError("no registered worker has this ID number: register them first")
        if invitation.team_id is not None:
            cursor = await conn.execute(
                "SELECT 1 FROM teams WHERE team_id = %s AND project_id = %s",
                (invitation.team_id, project_id),
            )
            if await cursor.fetchone() is None:
                reason = "no such team in this project"
                problem = FieldProblem("team_id", reason, "team_id: 该项目没有这个班组")
                raise InvalidInputError([problem])
        cursor = await reading(conn, InvitationView).execute(
            "INSERT INTO entry_invitations (project_id, team_id, worker_id, invited_by)"
            f" VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}",
            (project_id, invitation.team_id, worker[0], actor),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError("this worker already has a pending invitation to this project")
        await audit(
            conn,
            actor=actor,
            action="invitation.create",
            entity="invitation",
            entity_id=str(row.invitation_id),
            detail={"project_id": project_id},
        )
    return row


async def invitations_of(conn: AsyncConnection[Any], worker_id: int) -> list[InvitationView]:
    """The worker's invitations, with the project and its enterprises (pending first)."""
    cursor = await reading(conn, InvitationView).execute(
        f"SELECT {_SHOWN} WHERE i.worker_id = %s"
        " ORDER BY i.status <> 'pending', i.invitation_id DESC",
        (worker_id,),
    )
    return await cursor.fetchall()


async def respond(
    conn: AsyncConnection[Any],
    invitation_id: int,
    worker_id: int,
    *,
    accept: bool,
    face_score: float | None = None,
) -> InvitationView:
    """The invited worker accepts (having authorised the use of their data and shown their
    live face, ``face_score``; they enter the project today) or declines."""
    async with conn.transaction():
        cursor = await conn.execute(
            f"SELECT {_COLUMNS} FROM entry_invitations WHERE invitation_id = %s FOR UPDATE",
            (invitation_id,),
        )
        row = await cursor.fetchone()
        if row is None or int(row[3]) != worker_id:
            raise NotFoundError(f"invitation {invitation_id} does not exist")
        if row[4] != "pending":
            raise ConflictError(f"invitation {invitation_id} was already {row[4]}")
        status = "accepted" if accept else "declined"
        if accept:
            await enter_project(
                conn,
                worker_id,
                row[1],
                row[2],
                datetime.now(UTC).date(),
                actor=f"worker:{worker_id}",
                reason="accepted an invitation",
            )
        await conn.execute(
            "UPDATE entry_invitations SET status = %s, responded_at = now(),"
            " data_authorized_at = CASE WHEN %s THEN now() END, face_score = %s"
            " WHERE invitation_id = %s",
            (status, accept, face_score, invitation_id),
        )
    cursor = await reading(conn, InvitationView).execute(
        f"SELECT {_SHOWN} WHERE i.invitation_id = %s", (invitation_id,)
    )
    updated = await cursor.fetchone()
    assert updated is not None
    return updated
