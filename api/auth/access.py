"""Scope checks: may this principal see this project or this worker? (PostgreSQL-backed)"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from api.auth.principal import Principal, ScopeKind
from streams.regions import region_prefix


async def can_access_project(conn: AsyncConnection[Any], who: Principal, project_id: str) -> bool:
    if who.scope_kind is ScopeKind.PROJECT:
        return who.scope_id == project_id
    if who.scope_kind is ScopeKind.REGION:
        cursor = await conn.execute(
            "SELECT 1 FROM projects WHERE project_id = %s AND region_code LIKE %s",
            (project_id, region_prefix(who.scope_id) + "%"),
        )
        return await cursor.fetchone() is not None
    if who.scope_kind is ScopeKind.ENTERPRISE:
        cursor = await conn.execute(
            "SELECT 1 FROM project_enterprises WHERE project_id = %s AND enterprise_id::text = %s",
            (project_id, who.scope_id),
        )
        return await cursor.fetchone() is not None
    return False  # a worker sees themself, not projects


async def can_access_worker(conn: AsyncConnection[Any], who: Principal, worker_id: int) -> bool:
    """A worker sees only themself; staff see workers registered in a project of theirs."""
    if who.scope_kind is ScopeKind.WORKER:
        return who.scope_id == str(worker_id)
    cursor = await conn.execute(
        "SELECT DISTINCT project_id FROM memberships WHERE worker_id = %s", (worker_id,)
    )
    for (project_id,) in await cursor.fetchall():
        if await can_access_project(conn, who, project_id):
            return True
    return False


def scope_filter(who: Principal) -> tuple[str, list[Any]]:
    """SQL condition on ``p`` (projects) for the projects a principal may see."""
    if who.scope_kind is ScopeKind.REGION:
        return "p.region_code LIKE %s", [region_prefix(who.scope_id) + "%"]
    if who.scope_kind is ScopeKind.ENTERPRISE:
        return (
            "EXISTS (SELECT 1 FROM project_enterprises pe WHERE pe.project_id = p.project_id"
            " AND pe.enterprise_id::text = %s)"
        ), [who.scope_id]
    if who.scope_kind is ScopeKind.PROJECT:
        return "p.project_id = %s", [who.scope_id]
    return (
        "EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = p.project_id"
        " AND m.worker_id::text = %s)"
    ), [who.scope_id]


async def visible_project_ids(conn: AsyncConnection[Any], who: Principal) -> list[str]:
    condition, params = scope_filter(who)
    cursor = await conn.execute(f"SELECT p.project_id FROM projects p WHERE {condition}", params)
    return [str(row[0]) for row in await cursor.fetchall()]
