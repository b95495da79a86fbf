"""A device-side client for ``POST /v1/passes``: signs each request like a real gate."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from ingest.signing import sign_headers


class DeviceClient:
    """Posts batches for one device over a shared ``httpx.AsyncClient``."""

    def __init__(self, http: httpx.AsyncClient, device_id: str, secret: str) -> None:
        self._http = http
        self.device_id = device_id
        self._secret = secret

    async def post_passes(self, items: list[dict[str, Any]]) -> httpx.Response:
        """Sign and post one batch; each call gets a fresh nonce and timestamp."""
        body = json.dumps({"events": items}).encode()
        headers = sign_headers(self._secret, self.device_id, body, now=time.time())
        headers["content-type"] = "application/json"
        return await self._http.post("/v1/passes", content=body, headers=headers)
