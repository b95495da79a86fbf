"""Authenticates a device request: headers, credential lookup, signature, replay protection."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from infra.errors import ReplayedRequestError
from ingest.devices import DeviceCredential, DeviceDirectory
from ingest.signing import read_signed_request, verify_signature


class DeviceAuthenticator:
    def __init__(
        self, directory: DeviceDirectory, redis: Redis, *, namespace: str, max_skew_s: int
    ) -> None:
        self._directory = directory
        self._redis = redis
        self._namespace = namespace
        self._max_skew_s = max_skew_s

    async def authenticate(self, headers: dict[str, str], body: bytes) -> DeviceCredential:
        """The device that signed this request; raises unless it is authentic and fresh."""
        request = read_signed_request(headers)
        credential = await self._directory.get(request.device_id)
        verify_signature(
            request, credential.secret, body, now=time.time(), max_skew_s=self._max_skew_s
        )
        # A nonce is remembered for twice the allowed skew: any replay inside the
        # accepted time window is caught; older replays fail the timestamp check.
        key = f"{self._namespace}nonce.{request.device_id}.{request.nonce}"
        if not await self._redis.set(key, 1, nx=True, ex=2 * self._max_skew_s):
            raise ReplayedRequestError(f"nonce {request.nonce!r} was already used")
        return credential
