"""A device-side client for ``POST /v1/passes`` and ``/v1/frames``: signs like a real gate."""

from __future__ import annotations

import base64
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
        return await self._post("/v1/passes", json.dumps({"events": items}).encode())

    async def post_frame(
        self, serial: int, occurred_at: str, direction: str, jpeg: bytes, **claim: Any
    ) -> httpx.Response:
        """Post one capture; ``claim`` may carry ``claimed_worker_id`` and ``claimed_score``."""
        frame = {
            "serial": serial,
            "occurred_at": occurred_at,
            "direction": direction,
            "image_jpeg": base64.b64encode(jpeg).decode(),
            **claim,
        }
        return await self._post("/v1/frames", json.dumps(frame).encode())

    async def _post(self, path: str, body: bytes) -> httpx.Response:
        headers = sign_headers(self._secret, self.device_id, body, now=time.time())
        headers["content-type"] = "application/json"
        return await self._http.post(path, content=body, headers=headers)
