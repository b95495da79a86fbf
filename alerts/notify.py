"""Delivering one alert transition: in-app (the live channels) and a signed webhook.

Each (alert, transition, channel, recipient) is one ``notification_log`` row, claimed before
sending and marked sent after, so a retried task never sends twice. A webhook failure
raises, and Celery retries the task with backoff; the channels already sent are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from psycopg import Connection
from redis import Redis

from realtime.channels import project_channel

TRANSITION_ZH = {
    "opened": "新告警",
    "reopened": "告警复现",
    "cleared": "已消警",
    "escalated": "告警升级",
}


def alert_payload(conn: Connection[Any], alert_id: int, transition: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT alert_id, rule, subject, window_key, project_id, severity, status, message_zh,"
        " evidence, opened_at FROM alerts WHERE alert_id = %s",
        (alert_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"alert {alert_id} does not exist")
    keys = (
        "alert_id",
        "rule",
        "subject",
        "window",
        "project_id",
        "severity",
        "status",
        "message_zh",
        "evidence",
        "opened_at",
    )
    payload = dict(zip(keys, row, strict=True))
    payload["opened_at"] = payload["opened_at"].isoformat()
    payload["transition"] = transition
    payload["title_zh"] = f"{TRANSITION_ZH.get(transition, transition)}：{payload['message_zh']}"
    return payload


def claim(
    conn: Connection[Any], alert_id: int, transition: str, channel: str, recipient: str
) -> bool:
    """True if this delivery is still to be done (inserting its log row if new)."""
    conn.execute(
        "INSERT INTO notification_log (alert_id, transition, channel, recipient)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (alert_id, transition, channel, recipient),
    )
    row = conn.execute(
        "UPDATE notification_log SET attempts = attempts + 1 WHERE alert_id = %s"
        " AND transition = %s AND channel = %s AND recipient = %s AND status <> 'sent'"
        " RETURNING notification_id",
        (alert_id, transition, channel, recipient),
    ).fetchone()
    return row is not None


def mark(
    conn: Connection[Any],
    alert_id: int,
    transition: str,
    channel: str,
    recipient: str,
    *,
    error: str | None = None,
) -> None:
    conn.execute(
        "UPDATE notification_log SET status = %s, last_error = %s,"
        " sent_at = CASE WHEN %s::text IS NULL THEN now() END"
        " WHERE alert_id = %s AND transition = %s AND channel = %s AND recipient = %s",
        ("failed" if error else "sent", error, error, alert_id, transition, channel, recipient),
    )


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """hex HMAC-SHA256 over "<timestamp>." + body (header X-SitePulse-Signature)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def send_webhook(url: str, secret: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-sitepulse-timestamp": str(timestamp),
        "x-sitepulse-signature": sign(secret, body, timestamp),
        "x-sitepulse-delivery": f"{payload['alert_id']}:{payload['transition']}",
    }
    response = httpx.post(url, content=body, headers=headers, timeout=10)
    response.raise_for_status()


def push_in_app(redis: Redis, namespace: str, payload: dict[str, Any]) -> None:
    """To the project's live channel (the realtime service routes it to the region too)."""
    message = {"type": "alert", "alert": payload}
    redis.publish(
        project_channel(namespace, payload["project_id"]),
        json.dumps(message, ensure_ascii=False, default=str, separators=(",", ":")),
    )
