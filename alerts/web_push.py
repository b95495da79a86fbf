"""Web Push to the installed worker app (RFC 8030 delivery, RFC 8291 aes128gcm payload
encryption, RFC 8292 VAPID), through pywebpush. This module owns ``push_subscriptions``.

A subscription is what the browser's ``PushManager.subscribe`` returns: the push service's
endpoint and the keys to encrypt for. A push service that answers 404 or 410 has dropped
the subscription, so it is forgotten; any other failure is raised for the task to retry.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psycopg import AsyncConnection, Connection
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from infra.errors import FieldProblem, InvalidInputError

_GONE = (404, 410)


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str
    p256dh: str  # the browser's P-256 public key, base64url
    auth: str  # its 16-byte authentication secret, base64url


class PushRefused(OSError):
    """A push service refused a notice for a reason other than a dropped subscription."""


def application_server_key(vapid_private_key: str) -> str:
    """The VAPID public key a browser subscribes with (uncompressed point, base64url)."""
    secret = int.from_bytes(_unbase64(vapid_private_key), "big")
    public = ec.derive_private_key(secret, ec.SECP256R1()).public_key()
    point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def check_subscription(subscription: PushSubscription, *, allow_loopback: bool) -> None:
    """Refuse what is not a browser's subscription: an endpoint that is not a public https
    address (the platform would be made to call inward), keys of the wrong size."""
    problems = []
    parts = urlsplit(subscription.endpoint)
    host = parts.hostname or ""
    loopback = host == "localhost" or _is_loopback(host)
    if loopback and not allow_loopback:
        problems.append(
            FieldProblem("endpoint", "must be a push service's address", "推送地址无效")
        )
    elif not loopback and (parts.scheme != "https" or not host or _is_private(host)):
        problems.append(
            FieldProblem("endpoint", "must be a public https address", "推送地址必须为 https")
        )
    if len(_unbase64_or_empty(subscription.p256dh)) != 65:
        problems.append(FieldProblem("p256dh", "must be a P-256 public key", "推送密钥无效"))
    if len(_unbase64_or_empty(subscription.auth)) != 16:
        problems.append(FieldProblem("auth", "must be 16 bytes, base64url", "推送密钥无效"))
    if problems:
        raise InvalidInputError(problems)


async def save_subscription(
    conn: AsyncConnection[Any], worker_id: int, subscription: PushSubscription
) -> None:
    """Keep the subscription for this worker (a phone that changes hands changes owner)."""
    await conn.execute(
        "INSERT INTO push_subscriptions (worker_id, endpoint, p256dh, auth)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (endpoint) DO UPDATE SET"
        " worker_id = EXCLUDED.worker_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,"
        " last_error = NULL",
        (worker_id, subscription.endpoint, subscription.p256dh, subscription.auth),
    )


async def remove_subscription(conn: AsyncConnection[Any], worker_id: int, endpoint: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM push_subscriptions WHERE worker_id = %s AND endpoint = %s",
        (worker_id, endpoint),
    )
    return cursor.rowcount > 0


def subscriptions_of(conn: Connection[Any], worker_id: int) -> list[tuple[int, PushSubscription]]:
    rows = conn.execute(
        "SELECT subscription_id, endpoint, p256dh, auth FROM push_subscriptions"
        " WHERE worker_id = %s ORDER BY subscription_id",
        (worker_id,),
    ).fetchall()
    return [(int(row[0]), PushSubscription(row[1], row[2], row[3])) for row in rows]


def push(
    conn: Connection[Any],
    subscription_id: int,
    subscription: PushSubscription,
    notice: dict[str, Any],
    *,
    vapid_private_key: str,
    vapid_subject: str,
) -> None:
    """Send one notice, encrypted for this subscription and signed with the VAPID key."""
    try:
        webpush(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(notice, ensure_ascii=False),
            vapid_private_key=Vapid.from_raw(vapid_private_key.encode()),
            vapid_claims={"sub": vapid_subject},
            ttl=24 * 3600,
            timeout=10,
        )
    except WebPushException as refused:
        status = refused.response.status_code if refused.response is not None else None
        if status in _GONE:
            conn.execute(
                "DELETE FROM push_subscriptions WHERE subscription_id = %s", (subscription_id,)
            )
            return
        conn.execute(
            "UPDATE push_subscriptions SET last_error = %s WHERE subscription_id = %s",
            (f"HTTP {status}" if status else "no answer", subscription_id),
        )
        raise PushRefused(f"the push service answered {status}") from None
    conn.execute(
        "UPDATE push_subscriptions SET last_sent_at = now(), last_error = NULL"
        " WHERE subscription_id = %s",
        (subscription_id,),
    )


def _unbase64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unbase64_or_empty(text: str) -> bytes:
    try:
        return _unbase64(text)
    except ValueError:
        return b""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localdomain"))
    return not address.is_global
