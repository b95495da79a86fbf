"""What people read about alerts: a list within scope, and one alert with its history and
deliveries. Read-only: ``alerts.store`` is the only writer of these tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row
from pydantic import BaseModel, ConfigDict, Field

from api.auth.access import scope_filter
from api.auth.principal import Principal
from infra.errors import NotFoundError

STATUSES = ("open", "acknowledged", "resolved", "cleared")


class AlertView(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    alert_id: int
    rule: str
    subject: str
    window: str = Field(validation_alias="window_key")
    project_id: str
    severity: str
    status: str
    message_zh: str
    evidence: dict[str, Any]
    opened_at: datetime
    updated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    cleared_at: datetime | None
    escalated_at: datetime | None
    held_reason: str | None


class AlertEventView(BaseModel):
    at: datetime
    kind: str
    actor: str | None
    detail: dict[str, Any] | None


class DeliveryView(BaseModel):
    transition: str
    channel: str
    recipient: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class AlertDetail(AlertView):
    history: list[AlertEventView]
    notifications: list[DeliveryView]


_COLUMNS = (
    ", ".join(f"a.{name}" for name in AlertView.model_fields if name != "window") + ", a.window_key"
)


async def find_alerts(
    conn: AsyncConnection[Any],
    who: Principal,
    *,
    status: str | None,
    project_id: str | None,
    limit: int = 200,
) -> list[AlertView]:
    """The latest alerts of the projects in the caller's scope, newest change first."""
    condition, params = scope_filter(who)
    sql = (
        f"SELECT {_COLUMNS} FROM alerts a JOIN projects p ON p.project_id = a.project_id"
        f" WHERE {condition}"
    )
    if status:
        sql += " AND a.status = %s"
        params.append(status)
    if project_id:
        sql += " AND a.project_id = %s"
        params.append(project_id)
    sql += " ORDER BY a.updated_at DESC LIMIT %s"
    params.append(limit)
    async with conn.cursor(row_factory=class_row(AlertView)) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


async def get_alert(conn: AsyncConnection[Any], alert_id: int) -> AlertView:
    async with conn.cursor(row_factory=class_row(AlertView)) as cursor:
        await cursor.execute(f"SELECT {_COLUMNS} FROM alerts a WHERE a.alert_id = %s", (alert_id,))
        row = await cursor.fetchone()
    if row is None:
        raise NotFoundError(f"alert {alert_id} does not exist")
    return row


async def alert_detail(conn: AsyncConnection[Any], alert: AlertView) -> AlertDetail:
    async with conn.cursor(row_factory=class_row(AlertEventView)) as cursor:
        await cursor.execute(
            "SELECT at, kind, actor, detail FROM alert_events WHERE alert_id = %s"
            " ORDER BY event_id",
            (alert.alert_id,),
        )
        history = await cursor.fetchall()
    async with conn.cursor(row_factory=class_row(DeliveryView)) as cursor:
        await cursor.execute(
            "SELECT transition, channel, recipient, status, attempts, last_error, sent_at"
            " FROM notification_log WHERE alert_id = %s ORDER BY notification_id",
            (alert.alert_id,),
        )
        deliveries = await cursor.fetchall()
    return AlertDetail(**alert.model_dump(), history=history, notifications=deliveries)


async def open_alert_counts(
    conn: AsyncConnection[Any], projects: list[str], rules: list[str] | None = None
) -> dict[str, int]:
    """Open or acknowledged alerts per project (of these rules only, if given)."""
    sql = (
        "SELECT project_id, count(*) FROM alerts WHERE project_id = ANY(%s)"
        " AND status IN ('open', 'acknowledged')"
    )
    params: list[Any] = [projects]
    if rules is not None:
        sql += " AND rule = ANY(%s)"
        params.append(rules)
    cursor = await conn.execute(sql + " GROUP BY project_id", params)
    counts = {str(project): int(count) for project, count in await cursor.fetchall()}
    return {project: counts.get(project, 0) for project in projects}
