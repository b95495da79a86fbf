from __future__ import annotations

import pytest

from infra.errors import AuthenticationError, ReplayedRequestError
from ingest.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    read_signed_request,
    sign_headers,
    verify_signature,
)

SECRET = "s3cret-s3cret-s3cret"
BODY = b'{"events": []}'


def test_a_signed_request_verifies() -> None:
    headers = sign_headers(SECRET, "G1", BODY, now=1_000_000)
    verify_signature(read_signed_request(headers), SECRET, BODY, now=1_000_010, max_skew_s=300)


def test_a_changed_body_fails() -> None:
    headers = sign_headers(SECRET, "G1", BODY, now=1_000_000)
    with pytest.raises(AuthenticationError, match="signature does not match"):
        verify_signature(
            read_signed_request(headers), SECRET, BODY + b" ", now=1_000_000, max_skew_s=300
        )


def test_another_secret_fails() -> None:
    headers = sign_headers(SECRET, "G1", BODY, now=1_000_000)
    with pytest.raises(AuthenticationError):
        verify_signature(
            read_signed_request(headers), "other-secret-123456", BODY, now=1_000_000, max_skew_s=300
        )


def test_a_stale_timestamp_is_a_replay() -> None:
    headers = sign_headers(SECRET, "G1", BODY, now=1_000_000)
    with pytest.raises(ReplayedRequestError, match="more than 300s"):
        verify_signature(read_signed_request(headers), SECRET, BODY, now=1_000_301, max_skew_s=300)


def test_missing_and_malformed_headers_are_named() -> None:
    headers = sign_headers(SECRET, "G1", BODY, now=1_000_000)
    with pytest.raises(AuthenticationError, match=SIGNATURE_HEADER):
        read_signed_request({k: v for k, v in headers.items() if k != SIGNATURE_HEADER})
    with pytest.raises(AuthenticationError, match="unix seconds"):
        read_signed_request({**headers, TIMESTAMP_HEADER: "yesterday"})
