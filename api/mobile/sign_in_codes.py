"""Short-lived signed codes for the pre-shift QR sign-in (班前签到) (pure).

A worker's personal code (个人建设码) names the worker; a project's sign-in code names the
project. Either lasts two minutes from issue and carries a random nonce: the server signs
it (HMAC-SHA256), so it cannot be forged or extended, and remembers which nonces were
used, so it cannot be replayed. The text is what the QR code holds:
``SP1~w~12~1796000000~<nonce>~<signature>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from infra.errors import FieldProblem, InvalidInputError

PREFIX = "SP1"
LIFETIME = timedelta(minutes=2)


class CodeKind(StrEnum):
    WORKER = "w"  # 个人建设码: the worker shows it, the sign-in officer scans it
    PROJECT = "p"  # 签到码: the officer shows it, workers scan it


@dataclass(frozen=True)
class SignInCode:
    kind: CodeKind
    subject: str  # the worker id, or the project id
    expires_at: datetime
    nonce: str


def code_key(token_secret: str) -> bytes:
    """The signing key, derived from the token secret for this use only."""
    return hmac.new(token_secret.encode(), b"sitepulse sign-in codes", hashlib.sha256).digest()


def issue_code(key: bytes, kind: CodeKind, subject: str, now: datetime) -> tuple[str, datetime]:
    expires_at = (now + LIFETIME).replace(microsecond=0)
    nonce = secrets.token_urlsafe(9)
    body = f"{PREFIX}~{kind.value}~{subject}~{int(expires_at.timestamp())}~{nonce}"
    return f"{body}~{_signature(key, body)}", expires_at


def read_code(key: bytes, text: str, now: datetime, *, expect: CodeKind) -> SignInCode:
    """The code in ``text``; refused (field ``code``) when it is not one of ours, was
    altered, has expired, or is the other kind."""
    parts = text.strip().split("~")
    if len(parts) != 6 or parts[0] != PREFIX or not parts[3].isdigit():
        raise _refused("is not a SitePulse sign-in code", "不是有效的签到二维码")
    body, signature = "~".join(parts[:5]), parts[5]
    if not hmac.compare_digest(signature, _signature(key, body)):
        raise _refused("was altered or forged", "二维码无效（校验失败）")
    try:
        kind = CodeKind(parts[1])
    except ValueError:
        raise _refused("is of an unknown kind", "不是有效的签到二维码") from None
    if kind is not expect:
        wanted = "工人的个人建设码" if expect is CodeKind.WORKER else "项目的签到码"
        raise _refused(f"is not a {expect.name.lower()} code", f"请扫描{wanted}")
    expires_at = datetime.fromtimestamp(int(parts[3]), UTC)
    if now > expires_at:
        raise _refused("has expired (codes last two minutes)", "二维码已过期，请刷新后重新扫描")
    return SignInCode(kind, parts[2], expires_at, parts[4])


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def _refused(reason: str, message_zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem("code", reason, message_zh)])
