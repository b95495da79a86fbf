"""The terminal's side of HTTPv2, for the simulator and the tests: keepalives, and one
multipart upload per identify record (the record gzip-compressed, as the terminal may)."""

from __future__ import annotations

import gzip
import json
import secrets
from datetime import datetime
from typing import Any

import httpx


def upload_body(
    serial: str, record: dict[str, Any], photo: bytes | None, *, compress: bool = False
) -> tuple[str, bytes]:
    """(content type, body) of ``/Record/UploadIdentifyRecord``."""
    boundary = "-" * 26 + secrets.token_hex(12)
    detail = json.dumps(record, ensure_ascii=False).encode()
    encoding = "Content-Encoding: gzip\r\nContent-Type: application/octet-stream\r\n"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="SN"\r\n\r\n{serial}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="RecordDetail"\r\n'.encode()
        + (encoding.encode() if compress else b"")
        + b"\r\n"
        + (gzip.compress(detail) if compress else detail)
        + b"\r\n",
    ]
    if photo is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="Photo"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + photo
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def identify_record(item: dict[str, Any]) -> dict[str, Any]:
    """A SitePulse device item as the terminal's record: a face pass, or (with no worker)
    a face that is not registered."""
    worker = item.get("worker_id")
    moment = datetime.fromisoformat(str(item["occurred_at"]))
    return {
        "RecordID": int(item["serial"]),
        "RecordType": 3 if worker else 19,
        "RecordDate": int(moment.timestamp()),
        "UserID": str(worker or ""),
        "IsEntry": {"in": 1, "out": 0}.get(str(item.get("direction")), 1),
        "CardNum": "0",
        "BodyTemp": 0,
        "PhotoLen": 0,
    }


class HttpV2Terminal:
    def __init__(self, http: httpx.AsyncClient, serial: str) -> None:
        self._http = http
        self.serial = serial

    async def keepalive(self) -> httpx.Response:
        state = {"SN": self.serial, "RelayStatus": 0, "KeepOpenStatus": 0}
        return await self._http.post(
            "/Device/Keepalive", json=state | {"DoorSensorStatus": 0, "AlarmStatus": ""}
        )

    async def push(self, items: list[dict[str, Any]]) -> tuple[httpx.Response, int]:
        """One upload per record, as the terminal does; stops at the first refusal."""
        sent = 0
        reply = httpx.Response(200)
        for item in items:
            reply = await self.upload(identify_record(item))
            if reply.status_code != 200 or reply.json().get("Success") != 1:
                break
            sent += 1
        return reply, sent

    async def upload(
        self, record: dict[str, Any], photo: bytes | None = None, *, compress: bool = False
    ) -> httpx.Response:
        content_type, body = upload_body(self.serial, record, photo, compress=compress)
        return await self._http.post(
            "/Record/UploadIdentifyRecord", content=body, headers={"content-type": content_type}
        )
