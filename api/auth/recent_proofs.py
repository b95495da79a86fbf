"""Security passwords proven lately, so that each step of one payroll session does not pay
a full argon2 check (tens of milliseconds of CPU) for the password it proved a moment ago.

A proof is remembered for ``ttl_s`` as an HMAC of the user, their stored hash and the
password, under a key that exists only in this process's memory: a changed password ends
every proof of the old one, and a wrong password is never remembered (it still goes to
argon2 and counts toward the lockout).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable


class RecentProofs:
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._expiry: OrderedDict[bytes, float] = OrderedDict()

    def _digest(self, user_id: int, stored_hash: str, password: str) -> bytes:
        text = f"{user_id}\x00{stored_hash}\x00{password}".encode()
        return hmac.new(self._key, text, hashlib.sha256).digest()

    def holds(self, user_id: int, stored_hash: str, password: str) -> bool:
        """Whether this very password was proven for this hash within ``ttl_s``."""
        digest = self._digest(user_id, stored_hash, password)
        expires = self._expiry.get(digest)
        if expires is None:
            return False
        if expires < self._clock():
            del self._expiry[digest]
            return False
        return True

    def remember(self, user_id: int, stored_hash: str, password: str) -> None:
        """Note a password argon2 has just accepted; the oldest proofs go past the bound."""
        if self._ttl_s <= 0:
            return
        digest = self._digest(user_id, stored_hash, password)
        self._expiry.pop(digest, None)
        self._expiry[digest] = self._clock() + self._ttl_s
        while len(self._expiry) > self._max_entries:
            self._expiry.popitem(last=False)
