"""Digest and Basic checks as ingest and the simulated terminals make them: a right answer
passes; a stale nonce, another URI, another password or garbage do not."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from ingest.digest_auth import NONCE_TTL_S, DigestChecker


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def answer(checker: DigestChecker, password: str, method: str, uri: str, nonce: str) -> str:
    """What a client computes from the challenge (qop=auth)."""
    ha1 = _md5(f"{checker.username}:{checker.realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    response = _md5(f"{ha1}:{nonce}:00000001:abc:auth:{ha2}")
    return (
        f'Digest username="{checker.username}", realm="{checker.realm}", nonce="{nonce}",'
        f' uri="{uri}", qop=auth, nc=00000001, cnonce="abc", response="{response}"'
    )


def test_a_digest_answer_is_checked_against_password_uri_and_nonce_age() -> None:
    checker = DigestChecker("SitePulse X1", "sitepulse", "Listen-2026", basic=True)
    nonce = re.findall(r'nonce="([^"]+)"', checker.challenge(now=1_000_000))[0]
    uri = "/isapi/X1/events"
    good = answer(checker, "Listen-2026", "POST", uri, nonce)
    assert checker.authorised("POST", uri, good, now=1_000_010)
    assert not checker.authorised("POST", uri, good, now=1_000_000 + NONCE_TTL_S + 1)
    assert not checker.authorised("POST", "/isapi/X2/events", good, now=1_000_010)
    assert not checker.authorised("GET", uri, good, now=1_000_010)
    assert not checker.authorised("POST", uri, answer(checker, "x", "POST", uri, nonce), now=1e6)
    forged = answer(checker, "Listen-2026", "POST", uri, "f4240.00000000")
    assert not checker.authorised("POST", uri, forged, now=1_000_010)  # a nonce not ours


@pytest.mark.parametrize(
    "header",
    ["", "Bearer x", "Digest", "Digest username=", "Basic !!!", "Basic " + "\xff", "Digest ,,,"],
)
def test_garbage_is_refused_not_raised(header: str) -> None:
    checker = DigestChecker("r", "u", "p" * 8, basic=True)
    assert not checker.authorised("POST", "/", header)


def test_basic_only_when_allowed() -> None:
    token = "Basic " + base64.b64encode(b"u:password1").decode()
    assert DigestChecker("r", "u", "password1", basic=True).authorised("POST", "/", token)
    assert not DigestChecker("r", "u", "password1").authorised("POST", "/", token)
    assert not DigestChecker("r", "u", "password2", basic=True).authorised("POST", "/", token)
