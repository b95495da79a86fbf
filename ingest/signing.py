"""Device request signing: HMAC-SHA256 over device id, timestamp, nonce and body.

A device sends four headers with every request::

    X-SitePulse-Device:    the device id
    X-SitePulse-Timestamp: unix seconds when the request was signed
    X-SitePulse-Nonce:     8-64 random characters, never reused
    X-SitePulse-Signature: hex HMAC-SHA256(secret, "<device>\\n<timestamp>\\n<nonce>\\n" + body)

This module is the pure core: no clock, no store. :mod:`ingest.auth` adds both.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from infra.errors import AuthenticationError, ReplayedRequestError

DEVICE_HEADER = "x-sitepulse-device"
TIMESTAMP_HEADER = "x-sitepulse-timestamp"
NONCE_HEADER = "x-sitepulse-nonce"
SIGNATURE_HEADER = "x-sitepulse-signature"

_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_HEX_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_UNIX_SECONDS = re.compile(r"^[0-9]{1,12}$")  # ASCII only: str.isdigit() also takes "²", "٣"


@dataclass(frozen=True)
class SignedRequest:
    device_id: str
    timestamp: int
    nonce: str
    signature: str


def signature_for(secret: str, device_id: str, timestamp: int, nonce: str, body: bytes) -> str:
    message = f"{device_id}\n{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_headers(secret: str, device_id: str, body: bytes, *, now: float) -> dict[str, str]:
    """The headers a device sends with ``body``; used by the simulator and tests."""
    timestamp = int(now)
    nonce = secrets.token_urlsafe(16)
    return {
        DEVICE_HEADER: device_id,
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature_for(secret, device_id, timestamp, nonce, body),
    }


def read_signed_request(headers: dict[str, str]) -> SignedRequest:
    """Extract the signing headers (lower-case names), with a precise error if one is bad."""
    missing = [
        name
        for name in (DEVICE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
        if not headers.get(name)
    ]
    if missing:
        raise AuthenticationError(f"missing header {missing[0]}")
    raw_timestamp = headers[TIMESTAMP_HEADER]
    if not _UNIX_SECONDS.fullmatch(raw_timestamp):
        raise AuthenticationError(f"{TIMESTAMP_HEADER} must be unix seconds, got {raw_timestamp!r}")
    nonce = headers[NONCE_HEADER]
    if not _NONCE.fullmatch(nonce):
        raise AuthenticationError(f"{NONCE_HEADER} must be 8-64 characters of [A-Za-z0-9_-]")
    if not _HEX_SHA256.fullmatch(headers[SIGNATURE_HEADER]):
        raise AuthenticationError(f"{SIGNATURE_HEADER} must be 64 hexadecimal characters")
    return SignedRequest(
        device_id=headers[DEVICE_HEADER],
        timestamp=int(raw_timestamp),
        nonce=nonce,
        signature=headers[SIGNATURE_HEADER].lower(),
    )


def verify_signature(
    request: SignedRequest, secret: str, body: bytes, *, now: float, max_skew_s: int
) -> None:
    """Raise unless the signature matches and the timestamp is within ``max_skew_s`` of now."""
    if abs(now - request.timestamp) > max_skew_s:
        raise ReplayedRequestError(
            f"timestamp {request.timestamp} is more than {max_skew_s}s from server time {int(now)}"
        )
    expected = signature_for(secret, request.device_id, request.timestamp, request.nonce, body)
    if not hmac.compare_digest(expected, request.signature):
        raise AuthenticationError("signature does not match the body and headers")
