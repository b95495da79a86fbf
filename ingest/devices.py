"""Device credentials, read from PostgreSQL (the system of record) through a short cache."""

from __future__ import annotations

import time
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from infra.errors import AuthenticationError


@dataclass(frozen=True)
class DeviceCredential:
    device_id: str
    project_id: str
    secret: str
    requests_per_minute: int | None = None  # None: the service's default


class DeviceDirectory:
    """Looks up a device's project and secret; caches hits for ``ttl_s`` seconds."""

    def __init__(self, pool: AsyncConnectionPool, *, ttl_s: float) -> None:
        self._pool = pool
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[float, DeviceCredential]] = {}

    async def get(self, device_id: str) -> DeviceCredential:
        cached = self._cache.get(device_id)
        if cached and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT device_id, project_id, secret, requests_per_minute FROM devices"
                " WHERE device_id = %s AND disabled_at IS NULL",
                (device_id,),
            )
            row = await cursor.fetchone()
        if row is None:
            self._cache.pop(device_id, None)
            raise AuthenticationError(f"unknown or disabled device {device_id!r}")
        credential = DeviceCredential(*row)
        self._cache[device_id] = (time.monotonic(), credential)
        return credential
