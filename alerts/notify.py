"""Delivering one alert transition: in-app (the live channels), a signed webhook, and email
and SMS to the people who asked for them (:mod:`alerts.recipients`).

Each (alert, transition, channel, recipient) is one ``notification_log`` row, claimed before
sending and marked sent after, so a retried task never sends twice. A webhook failure
raises, and Celery retries the task with backoff; the channels already sent are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from psycopg import Connection
from redis import Redis

from streams.channels import project_channel
from streams.live_messages import alert_text

TRANSITION_ZH = {
    "opened": "新告警",
    "reopened": "告警复现",
    "raised": "预警级别提高",
    "cleared": "已消警",
    "escalated": "告警升级",
}

LEVEL_ZH = {"warning": "黄色（一般）", "major": "橙色（较重）", "critical": "红色（严重）"}


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
    redis.publish(project_channel(namespace, payload["project_id"]), alert_text(payload))


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class HttpSmsGateway:
    """A generic HTTP SMS API: ``POST url {"to": phone, "text": text}`` with a bearer key."""

    def __init__(self, url: str, api_key: str | None) -> None:
        self._url = url
        self._api_key = api_key

    def send(self, phone: str, text: str) -> None:
        headers = {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        response = httpx.post(
            self._url, json={"to": phone, "text": text}, headers=headers, timeout=10
        )
        response.raise_for_status()


def send_email(host: str, port: int, sender: str, to: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(text)
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


def email_text(payload: dict[str, Any]) -> str:
    lines = [
        payload["title_zh"],
        f"项目：{payload['project_id']}",
        f"级别：{LEVEL_ZH.get(payload['severity'], payload['severity'])}",
        f"发生时间：{payload['opened_at']}",
        "",
        "详情：" + json.dumps(payload["evidence"], ensure_ascii=False, default=str),
    ]
    return "\n".join(lines)
