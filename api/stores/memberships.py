"""Project memberships (进场登记): a worker's registrations on projects, entry into one, and
the registry change every membership change publishes."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.stores.audit import audit
from api.stores.outbox import record_change
from infra.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class MembershipView(BaseModel):
    project_id: str
    team_id: int | None
    entry_date: date
    exit_date: date | None
    status: str


async def worker_memberships(conn: AsyncConnection[Any], worker_id: int) -> list[MembershipView]:
    return (await memberships_of(conn, [worker_id])).get(worker_id, [])


async def memberships_of(
    conn: AsyncConnection[Any], worker_ids: list[int]
) -> dict[int, list[MembershipView]]:
    cursor = await conn.execute(
        "SELECT worker_id, project_id, team_id, entry_date, exit_date, status FROM memberships"
        " WHERE worker_id = ANY(%s) ORDER BY entry_date, membership_id",
        (worker_ids,),
    )
    found: dict[int, list[MembershipView]] = {}
    for r in await cursor.fetchall():
        found.setdefault(int(r[0]), []).append(
            MembershipView(
                project_id=r[1], team_id=r[2], entry_date=r[3], exit_date=r[4], status=r[5]
            )
        )
    return found


async def enter_project(
    conn: AsyncConnection[Any],
    worker_id: int,
    project_id: str,
    team_id: int | None,
    entry_date: date,
    *,
    actor: str,
    reason: str = "",
    memberships: list[MembershipView] | None = None,
) -> list[MembershipView]:
    """进场登记: one active registration per worker and project; returns the memberships."""
    current = memberships if memberships is not None else await worker_memberships(conn, worker_id)
    if any(m.status == "active" and m.project_id == project_id for m in current):
        raise ConflictError(f"worker {worker_id} is already active in project {project_id}")
    await ensure_project(conn, project_id)
    if team_id is not None:
        cursor = await conn.execute(
            "SELECT 1 FROM teams WHERE team_id = %s AND project_id = %s", (team_id, project_id)
        )
        if await cursor.fetchone() is None:
            raise InvalidInputError(
                [FieldProblem("team_id", "no such team in this project", "该项目没有此班组")]
            )
    await conn.execute(
        "INSERT INTO memberships (worker_id, project_id, team_id, entry_date)"
        " VALUES (%s, %s, %s, %s)",
        (worker_id, project_id, team_id, entry_date),
    )
    await audit(
        conn,
        actor=actor,
        action="membership.enter",
        entity="worker",
        entity_id=str(worker_id),
        reason=reason,
        detail={"project_id": project_id, "team_id": team_id},
    )
    updated = await worker_memberships(conn, worker_id)
    await record_membership(conn, worker_id, project_id, updated)
    return updated


async def record_membership(
    conn: AsyncConnection[Any], worker_id: int, project_id: str, memberships: list[MembershipView]
) -> None:
    latest = [m for m in memberships if m.project_id == project_id][-1]
    state = {"worker_id": worker_id, **latest.model_dump(mode="json")}
    await record_change(conn, "membership", f"{worker_id}@{project_id}", state)


async def ensure_project(conn: AsyncConnection[Any], project_id: str) -> None:
    cursor = await conn.execute("SELECT 1 FROM projects WHERE project_id = %s", (project_id,))
    if await cursor.fetchone() is None:
        raise NotFoundError(f"project {project_id!r} does not exist")
