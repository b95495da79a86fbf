"""Passwords: the platforms' policy, argon2 hashes, and initial passwords to hand over.

An argon2 hash or check costs tens of milliseconds of CPU by design, so request paths use
the coroutines :func:`hashed` and :func:`verified`, which run it in a thread (argon2 lets
go of the GIL) instead of stopping every other request meanwhile."""

from __future__ import annotations

import asyncio
import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from infra.errors import FieldProblem, InvalidInputError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hashed(password: str) -> str:
    """:func:`hash_password` off the event loop."""
    return await asyncio.to_thread(hash_password, password)


async def verified(stored_hash: str, password: str) -> bool:
    """:func:`password_matches` off the event loop."""
    return await asyncio.to_thread(password_matches, stored_hash, password)


def check_new_password(password: str, *, field: str = "new_password") -> None:
    """The platforms' rule: at least 8 characters, with both letters and digits."""
    if len(password) < 8:
        raise InvalidInputError(
            [FieldProblem(field, "must have at least 8 characters", "新密码至少8位")]
        )
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise InvalidInputError(
            [
                FieldProblem(
                    field, "must contain both letters and digits", "新密码须同时包含字母和数字"
                )
            ]
        )


def new_initial_password() -> str:
    """Ten characters with letters and digits, without look-alikes (0/O, 1/l/I)."""
    letters = "".join(c for c in string.ascii_letters if c not in "OlI")
    digits = "23456789"
    while True:
        text = "".join(secrets.choice(letters + digits) for _ in range(10))
        if any(c in digits for c in text) and any(c in letters for c in text):
            return text
