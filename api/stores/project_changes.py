"""Changes that would weaken a project's own warnings wait for a regulator.

Suspending (停工) or completing a project stops its attendance warnings; moving its
supervision-briefing date moves when they start. When the regulated side (a contractor)
asks for one, it becomes a change request; a regulator of the project's region approves
(and it takes effect) or rejects it, with a reason. Both steps are audited.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel

from api.auth.principal import Principal, Role
from api.stores.audit import audit
from api.stores.projects import ProjectPatch, ProjectView, update_project
from api.stores.rows import reading
from infra.errors import ConflictError, NotFoundError

#: Statuses that switch a project's attendance warnings off.
_QUIETING_STATUSES = frozenset({"suspended", "completed"})


class ChangeRequestView(BaseModel):
    request_id: int
    project_id: str
    changes: dict[str, Any]
    reason: str
    requested_by: str
    status: str
    decided_by: str | None = None
    decision_reason: str | None = None


_COLUMNS = (
    "request_id, project_id, changes, reason, requested_by, status, decided_by, decision_reason"
)


def split_patch(
    who: Principal, patch: ProjectPatch, current: ProjectView
) -> tuple[ProjectPatch | None, dict[str, Any]]:
    """The part of ``patch`` that applies at once (None if nothing), and the changes that
    need a regulator's approval."""
    changes = patch.model_dump(exclude_unset=True)
    if who.role is Role.REGULATOR:
        return patch, {}
    guarded: dict[str, Any] = {}
    if changes.get("status") in _QUIETING_STATUSES and changes["status"] != current.status:
        guarded["status"] = changes["status"]
    if "briefing_date" in changes and changes["briefing_date"] != current.briefing_date:
        guarded["briefing_date"] = changes["briefing_date"]
    immediate = {name: value for name, value in changes.items() if name not in guarded}
    if not guarded:
        return patch, {}
    return (ProjectPatch.model_validate(immediate) if immediate else None), guarded


async def request_change(
    conn: AsyncConnection[Any],
    project_id: str,
    guarded: dict[str, Any],
    *,
    reason: str,
    actor: str,
) -> ChangeRequestView:
    stored = {k: v.isoformat() if isinstance(v, date) else v for k, v in guarded.items()}
    async with conn.transaction():
        cursor = await reading(conn, ChangeRequestView).execute(
            "INSERT INTO project_change_requests (project_id, changes, reason, requested_by)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
            f" RETURNING {_COLUMNS}",
            (project_id, json.dumps(stored), reason, actor),
        )
        row = await cursor.fetchone()
        if row is None:
            raise ConflictError(
                "this project already has a change request waiting for a regulator",
                message_zh="该项目已有待审批的变更申请",
            )
        await audit(
            conn,
            actor=actor,
            action="project.change_request",
            entity="project",
            entity_id=project_id,
            reason=reason,
            detail=stored,
        )
    return row


async def get_request(conn: AsyncConnection[Any], request_id: int) -> ChangeRequestView:
    cursor = await reading(conn, ChangeRequestView).execute(
        f"SELECT {_COLUMNS} FROM project_change_requests WHERE request_id = %s", (request_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"change request {request_id} does not exist")
    return row


async def pending_requests(
    conn: AsyncConnection[Any], project_ids: list[str]
) -> list[ChangeRequestView]:
    cursor = await reading(conn, ChangeRequestView).execute(
        f"SELECT {_COLUMNS} FROM project_change_requests"
        " WHERE status = 'pending' AND project_id = ANY(%s) ORDER BY request_id",
        (project_ids,),
    )
    return await cursor.fetchall()


async def decide(
    conn: AsyncConnection[Any], request_id: int, *, approve: bool, reason: str, actor: str
) -> ChangeRequestView:
    """Approve (the changes take effect now) or reject a pending request."""
    async with conn.transaction():
        cursor = await reading(conn, ChangeRequestView).execute(
            "UPDATE project_change_requests SET status = %s, decided_by = %s, decided_at = now(),"
            " decision_reason = %s WHERE request_id = %s AND status = 'pending'"
            f" RETURNING {_COLUMNS}",
            ("approved" if approve else "rejected", actor, reason, request_id),
        )
        row = await cursor.fetchone()
        if row is None:
            await get_request(conn, request_id)  # 404 when there is none
            raise ConflictError(
                "this change request was already decided", message_zh="该申请已审批"
            )
        decided = row
        if approve:
            patch = ProjectPatch.model_validate(decided.changes)
            await update_project(conn, decided.project_id, patch, actor=actor)
        await audit(
            conn,
            actor=actor,
            action="project.change_approved" if approve else "project.change_rejected",
            entity="project",
            entity_id=decided.project_id,
            reason=reason,
            detail={"request_id": request_id, **decided.changes},
        )
    return decided
