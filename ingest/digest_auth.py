"""HTTP authentication as the server side checks it: digest (RFC 7616, MD5, qop=auth) and
Basic. Used by ingest for terminals that call it with credentials (Hikvision's HTTP
listening sends them when set on the terminal) and by the simulated vendor terminals
(:mod:`ingest.dahua_terminal`, the tests' Hikvision stand-in), as a real terminal checks
the platform.

Nonces are stateless: the time and an HMAC keyed by the password, good for five minutes,
so any ingest process can check the answer to another's challenge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

NONCE_TTL_S = 300
_FIELD = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class DigestChecker:
    def __init__(self, realm: str, username: str, password: str, *, basic: bool = False) -> None:
        self.realm, self.username, self.password = realm, username, password
        self._basic = basic  # also take Basic credentials

    def _nonce(self, stamp: int) -> str:
        mac = hmac.new(self.password.encode(), f"{self.realm}|{stamp}".encode(), "sha256")
        return f"{stamp:x}.{mac.hexdigest()[:32]}"

    def _fresh(self, nonce: str, now: float) -> bool:
        stamp_hex, _, _ = nonce.partition(".")
        try:
            stamp = int(stamp_hex, 16)
        except ValueError:
            return False
        return 0 <= now - stamp <= NONCE_TTL_S and hmac.compare_digest(nonce, self._nonce(stamp))

    def challenge(self, now: float | None = None) -> str:
        """The ``WWW-Authenticate`` header of a 401."""
        nonce = self._nonce(int(time.time() if now is None else now))
        return (
            f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}",'
            f' opaque="{secrets.token_hex(8)}", algorithm=MD5'
        )

    def authorised(self, method: str, uri: str, header: str, now: float | None = None) -> bool:
        """Whether ``header`` (the ``Authorization`` value) proves the password for this
        request. Total: anything malformed is simply False."""
        if self._basic and header.startswith("Basic "):
            return self._basic_ok(header[len("Basic ") :])
        if not header.startswith("Digest "):
            return False
        fields = {k: a or b for k, a, b in _FIELD.findall(header[len("Digest ") :])}
        nonce = fields.get("nonce", "")
        if fields.get("username") != self.username or fields.get("uri") != uri:
            return False
        if not self._fresh(nonce, time.time() if now is None else now):
            return False
        ha1 = _md5(f"{self.username}:{self.realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        if fields.get("qop") == "auth":
            answer = f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}"
        else:
            answer = f"{ha1}:{nonce}:{ha2}"
        return hmac.compare_digest(_md5(answer), fields.get("response", ""))

    def _basic_ok(self, encoded: str) -> bool:
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:  # not base64, not ASCII, not UTF-8
            return False
        return hmac.compare_digest(user.encode(), self.username.encode()) and hmac.compare_digest(
            password.encode(), self.password.encode()
        )
