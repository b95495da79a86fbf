"""Alerts in PostgreSQL: load what an evaluation needs, apply its plan, and the people's
actions (acknowledge, resolve). Every change adds an ``alert_events`` row."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from alerts.lifecycle import Plan, Status, StoredAlert
from alerts.rules import Finding, Severity
from infra.errors import ConflictError, NotFoundError

# alert_id, "opened" | "reopened" | "raised" | "cleared" | "escalated"
Transition = tuple[int, str]


async def load_alerts(
    conn: AsyncConnection[Any], projects: Iterable[str], keys: list[tuple[str, str, str]]
) -> list[StoredAlert]:
    """Active alerts of these projects, and any alert with one of these keys."""
    rules, subjects, windows = (
        (list(column) for column in zip(*keys, strict=True)) if keys else ([], [], [])
    )
    cursor = await conn.execute(
        "SELECT alert_id, rule, subject, window_key, project_id, status, evidence, opened_at,"
        " escalated_at IS NOT NULL, severity FROM alerts"
        " WHERE (project_id = ANY(%s) AND status IN ('open', 'acknowledged'))"
        " OR (rule, subject, window_key) IN"
        " (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))",
        (list(projects), rules, subjects, windows),
    )
    return [
        StoredAlert(
            row[0],
            (row[1], row[2], row[3]),
            row[4],
            Status(row[5]),
            row[6],
            row[7],
            row[8],
            Severity(row[9]),
        )
        for row in await cursor.fetchall()
    ]


async def _event(
    conn: AsyncConnection[Any], alert_id: int, kind: str, actor: str, detail: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO alert_events (alert_id, kind, actor, detail) VALUES (%s, %s, %s, %s)",
        (alert_id, kind, actor, json.dumps(detail, ensure_ascii=False, default=str)),
    )


async def apply_plan(conn: AsyncConnection[Any], plan: Plan, now: datetime) -> list[Transition]:
    """Write the plan in one transaction; returns the transitions to notify about."""
    transitions: list[Transition] = []
    async with conn.transaction():
        for finding in plan.open:
            cursor = await conn.execute(
                "INSERT INTO alerts (rule, subject, window_key, project_id, severity, message_zh,"
                " evidence, opened_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (rule, subject, window_key) DO NOTHING RETURNING alert_id",
                (
                    *finding.key,
                    finding.project_id,
                    finding.severity.value,
                    finding.message_zh,
                    _json(finding),
                    now,
                    now,
                ),
            )
            row = await cursor.fetchone()
            if row is not None:  # another evaluation may have opened it meanwhile
                await _event(conn, row[0], "opened", "system", finding.evidence)
                transitions.append((row[0], "opened"))
        for alert_id, finding in plan.refresh:
            await _update(conn, alert_id, finding, now, None)
            await _event(conn, alert_id, "evidence", "system", finding.evidence)
        for alert_id in plan.raised:
            await _event(conn, alert_id, "raised", "system", {})
            transitions.append((alert_id, "raised"))
        for alert_id, finding in plan.reopen:
            await _update(conn, alert_id, finding, now, Status.OPEN)
            await _event(conn, alert_id, "reopened", "system", finding.evidence)
            transitions.append((alert_id, "reopened"))
        for alert_id in plan.clear:
            await conn.execute(
                "UPDATE alerts SET status = 'cleared', cleared_at = %s, updated_at = %s"
                " WHERE alert_id = %s AND status IN ('open', 'acknowledged')",
                (now, now, alert_id),
            )
            await _event(conn, alert_id, "cleared", "system", {})
            transitions.append((alert_id, "cleared"))
        for alert_id in plan.escalate:
            await conn.execute(
                "UPDATE alerts SET escalated_at = %s, updated_at = %s WHERE alert_id = %s",
                (now, now, alert_id),
            )
            await _event(conn, alert_id, "escalated", "system", {})
            transitions.append((alert_id, "escalated"))
    return transitions


async def mark_held(
    conn: AsyncConnection[Any], holds: dict[str, str | None], rules: list[str]
) -> None:
    """Show why a project's active attendance alerts are held (neither judged nor cleared),
    or that they no longer are."""
    held = {project: reason for project, reason in holds.items() if reason is not None}
    free = [project for project, reason in holds.items() if reason is None]
    async with conn.transaction():
        if held:
            await conn.execute(
                "UPDATE alerts a SET held_reason = h.reason, updated_at = now()"
                " FROM unnest(%s::text[], %s::text[]) AS h (project_id, reason)"
                " WHERE a.project_id = h.project_id AND a.rule = ANY(%s)"
                " AND a.status IN ('open', 'acknowledged')"
                " AND a.held_reason IS DISTINCT FROM h.reason",
                (list(held), list(held.values()), rules),
            )
        if free:
            await conn.execute(
                "UPDATE alerts SET held_reason = NULL WHERE project_id = ANY(%s)"
                " AND held_reason IS NOT NULL",
                (free,),
            )


def _json(finding: Finding) -> str:
    return json.dumps(finding.evidence, ensure_ascii=False, default=str)


async def _update(
    conn: AsyncConnection[Any],
    alert_id: int,
    finding: Finding,
    now: datetime,
    status: Status | None,
) -> None:
    await conn.execute(
        "UPDATE alerts SET evidence = %s, message_zh = %s, severity = %s, updated_at = %s,"
        " status = COALESCE(%s::text, status),"
        " cleared_at = CASE WHEN %s::text IS NULL THEN cleared_at END"
        " WHERE alert_id = %s",
        (_json(finding), finding.message_zh, finding.severity.value, now, status, status, alert_id),
    )


async def act(
    conn: AsyncConnection[Any], alert_id: int, action: str, actor: str, note: str
) -> None:
    """A person acknowledges or resolves an alert (409 if its state does not allow it)."""
    allowed = {"acknowledge": ("open",), "resolve": ("open", "acknowledged")}[action]
    column = {"acknowledge": "acknowledged", "resolve": "resolved"}[action]
    async with conn.transaction():
        cursor = await conn.execute(
            f"UPDATE alerts SET status = %s, {column}_by = %s, {column}_at = now(),"
            " updated_at = now() WHERE alert_id = %s AND status = ANY(%s) RETURNING alert_id",
            (column, actor, alert_id, list(allowed)),
        )
        if await cursor.fetchone() is None:
            state = await conn.execute("SELECT status FROM alerts WHERE alert_id = %s", (alert_id,))
            row = await state.fetchone()
            if row is None:
                raise NotFoundError(f"alert {alert_id} does not exist")
            raise ConflictError(
                f"alert {alert_id} is {row[0]}: it cannot be {column}",
                message_zh="该告警当前状态不允许此操作",
            )
        await _event(conn, alert_id, column, actor, {"note": note})


async def save_overrides(
    conn: AsyncConnection[Any], region_prefix: str, values: dict[str, Any], *, actor: str
) -> None:
    """Set a region's thresholds (a new version), or remove them when ``values`` is empty."""
    if values:
        await conn.execute(
            "INSERT INTO alert_rule_overrides (region_prefix, overrides, updated_by)"
            " VALUES (%s, %s, %s) ON CONFLICT (region_prefix) DO UPDATE SET"
            " overrides = EXCLUDED.overrides, updated_by = EXCLUDED.updated_by,"
            " version = alert_rule_overrides.version + 1, updated_at = now()",
            (region_prefix, json.dumps(values), actor),
        )
    else:
        await conn.execute(
            "DELETE FROM alert_rule_overrides WHERE region_prefix = %s", (region_prefix,)
        )


async def load_overrides(conn: AsyncConnection[Any]) -> dict[str, dict[str, Any]]:
    """Region prefix -> thresholds set by regulators, with their version stamped in."""
    cursor = await conn.execute(
        "SELECT region_prefix, overrides, version FROM alert_rule_overrides"
    )
    return {
        prefix: {**values, "version": f"region-{prefix}-v{version}"}
        for prefix, values, version in await cursor.fetchall()
    }
