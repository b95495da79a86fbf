"""HTTP digest authentication (RFC 7616, MD5, qop=auth) as the server side checks it: the
challenge, and the check of a client's answer against the password. The simulated vendor
terminals (:mod:`ingest.dahua_terminal`, the tests' Hikvision stand-in) use it as a real
terminal does."""

from __future__ import annotations

import hashlib
import re
import secrets


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class DigestChecker:
    def __init__(self, realm: str, username: str, password: str) -> None:
        self.realm, self.username, self.password = realm, username, password
        self._nonce = secrets.token_hex(16)

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` header of a 401."""
        return (
            f'Digest realm="{self.realm}", qop="auth", nonce="{self._nonce}",'
            ' opaque="5ccc069c403ebaf9f0171e9517f40e41"'
        )

    def authorised(self, method: str, uri: str, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest ") :]))
        if fields.get("username") != self.username or fields.get("nonce") != self._nonce:
            return False
        ha1 = _md5(f"{self.username}:{self.realm}:{self.password}")
        ha2 = _md5(f"{method}:{fields.get('uri', '')}")
        expected = _md5(
            f"{ha1}:{self._nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}"
        )
        return fields.get("uri") == uri and secrets.compare_digest(
            expected, fields.get("response", "")
        )
