"""The checks every endpoint makes before it acts: role, scope, the actor's name."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from api.auth.access import can_access_project
from api.auth.principal import REGISTRARS, Principal, ScopeKind
from infra.errors import ForbiddenError, NotFoundError


def actor_of(who: Principal) -> str:
    """How the audit log names the caller (never a worker's ID number)."""
    return f"{who.role.value}:{who.user_id}"


def own_worker_id(who: Principal) -> int:
    """The caller's own worker id: these routes are a worker's own (their pay, inbox)."""
    if who.scope_kind is not ScopeKind.WORKER:
        raise ForbiddenError("only the worker themself may do this", message_zh="仅工人本人可用")
    return int(who.scope_id)


def require_registrar(who: Principal, action: str) -> None:
    """Only the roles that keep rosters may ``action`` (register workers, issue devices...)."""
    if who.role not in REGISTRARS:
        raise ForbiddenError(f"role {who.role.value} cannot {action}")


async def require_visible_project(
    conn: AsyncConnection[Any], who: Principal, project_id: str
) -> None:
    """404 for a project outside the scope: its existence is not the caller's business."""
    if not await can_access_project(conn, who, project_id):
        raise NotFoundError(f"project {project_id!r} does not exist")


async def require_project_in_scope(
    conn: AsyncConnection[Any], who: Principal, project_id: str
) -> None:
    """403 for a project outside the scope, where the caller named it on purpose."""
    if not await can_access_project(conn, who, project_id):
        raise ForbiddenError(f"project {project_id!r} is outside your scope")
