"""The worker app's inbox and Web Push: an alert that concerns a worker is kept in their
inbox (read or unread, nothing lost with the app closed) and pushed to their installed app
as a push service receives it: aes128gcm-encrypted for the subscription's keys (RFC 8291)
and signed with the platform's VAPID key (RFC 8292). A muted kind is neither kept nor
pushed."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import http_ece
import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psycopg import AsyncConnection

from alerts.celery_app import create_celery
from alerts.lifecycle import Plan
from alerts.rules import Finding, Rule, Severity
from alerts.store import apply_plan
from infra.settings import Settings

from .people import Site, auth, worker_with_password
from .receiver import Received, WebhookReceiver
from .test_workers import new_id_number


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Phone:
    """What a browser's PushManager keeps for a subscription: its key pair and secret."""

    def __init__(self, push_service: WebhookReceiver) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.secret = os.urandom(16)
        self.endpoint = f"{push_service.url.rsplit('/hooks', 1)[0]}/push/{uuid.uuid4().hex}"

    def subscription(self) -> dict[str, Any]:
        public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.secret)},
        }

    def received(self, push_service: WebhookReceiver) -> list[Received]:
        path = self.endpoint.split("//", 1)[1].split("/", 1)[1]
        return [r for r in push_service.requests if r.path == f"/{path}"]

    def decrypt(self, message: Received) -> dict[str, Any]:
        plain = http_ece.decrypt(
            message.body, private_key=self.key, auth_secret=self.secret, version="aes128gcm"
        )
        return dict(json.loads(plain))


async def open_alert(stack: Settings, finding: Finding) -> int:
    """An alert opened as the evaluation opens one, then its notification task run on the
    stack's real Celery worker."""
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        [(alert_id, transition)] = await apply_plan(conn, Plan(open=[finding]), datetime.now(UTC))
    result = create_celery(stack).send_task("alerts.notify", args=[alert_id, transition])
    await asyncio.to_thread(result.get, timeout=60)
    return alert_id


def missed_exit(worker_id: int, project_id: str, day: str) -> Finding:
    return Finding(
        Rule.MISSED_EXIT,
        f"worker:{worker_id}@{project_id}",
        day,
        project_id,
        Severity.WARNING,
        f"{day} 进场后未刷卡离场",
    )


async def test_a_notice_reaches_the_inbox_and_the_phone_encrypted_and_signed(
    stack: Settings, http: httpx.AsyncClient, site: Site, push_service: WebhookReceiver
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker_id, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    me = auth(token)
    key = await http.get("/v1/push/key", headers=me)
    assert key.status_code == 200, key.text
    phone = Phone(push_service)
    subscribed = await http.post("/v1/me/push-subscriptions", json=phone.subscription(), headers=me)
    assert subscribed.status_code == 204, subscribed.text

    await open_alert(stack, missed_exit(worker_id, site.project_a, "2026-11-30"))

    inbox = (await http.get("/v1/me/notices", headers=me)).json()
    assert inbox["total"] == 1 and inbox["unread"] == 1
    [notice] = inbox["notices"]
    assert notice["kind"] == "attendance" and notice["title_zh"] == "考勤通知"
    assert notice["body_zh"] == "2026-11-30 进场后未刷卡离场" and not notice["read"]

    [pushed] = phone.received(push_service)
    assert pushed.headers["content-encoding"] == "aes128gcm" and int(pushed.headers["ttl"]) > 0
    content = phone.decrypt(pushed)
    assert content["notice_id"] == notice["notice_id"]
    assert content["title_zh"] == "考勤通知" and "未刷卡离场" in content["body_zh"]
    # What a push service checks: the VAPID token is signed by the key the app
    # subscribed with, for this push service's origin, not expired.
    scheme, _, fields = pushed.headers["authorization"].partition(" ")
    parts = dict(part.strip().split("=", 1) for part in fields.split(","))
    assert scheme == "vapid" and parts["k"] == key.json()["application_server_key"]
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    origin = phone.endpoint.split("/push/", 1)[0]
    claims = jwt.decode(parts["t"], public, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == stack.vapid_subject and claims["exp"] > time.time()

    read = await http.post("/v1/me/notices/read", json={}, headers=me)
    assert read.json() == {"marked": 1, "unread": 0}
    assert (await http.get("/v1/me/notices?unread_only=true", headers=me)).json()["total"] == 0

    # Attendance notices turned off: the next is neither kept nor pushed.
    muted = await http.put("/v1/me/notice-settings", json={"muted": ["attendance"]}, headers=me)
    assert muted.status_code == 200 and muted.json() == {"muted": ["attendance"]}
    await open_alert(stack, missed_exit(worker_id, site.project_a, "2026-12-01"))
    assert (await http.get("/v1/me/notices", headers=me)).json()["total"] == 1
    assert len(phone.received(push_service)) == 1


async def test_the_inbox_is_the_workers_own_and_subscriptions_are_checked(
    http: httpx.AsyncClient, site: Site, push_service: WebhookReceiver
) -> None:
    officer = auth(site.tokens["officer_a"])
    refused = await http.get("/v1/me/notices", headers=officer)
    assert refused.status_code == 403 and refused.json()["message_zh"] == "仅工人本人可用"
    _, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    me = auth(token)
    phone = Phone(push_service).subscription()
    inward = {**phone, "endpoint": "http://10.0.0.7/push/x"}
    bad = await http.post("/v1/me/push-subscriptions", json=inward, headers=me)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "endpoint"
    short = {**phone, "keys": {**phone["keys"], "auth": b64url(b"short")}}
    bad = await http.post("/v1/me/push-subscriptions", json=short, headers=me)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "auth"
    unknown = await http.put("/v1/me/notice-settings", json={"muted": ["gossip"]}, headers=me)
    assert unknown.status_code == 422
    gone = await http.post(
        "/v1/me/push-subscriptions/remove", json={"endpoint": phone["endpoint"]}, headers=me
    )
    assert gone.status_code == 404
