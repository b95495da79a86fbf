"""The terminal's side of Hikvision ISAPI HTTP listening, for the simulator and the tests:
each event a multipart/form-data post with its JSON ``event_log`` part and its picture."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

import httpx

_STATUS = {"in": "checkIn", "out": "checkOut"}


def access_event(item: dict[str, Any]) -> dict[str, Any]:
    """A SitePulse device item as the terminal's JSON: a face pass, or (with no worker) a
    face it did not recognise."""
    worker = item.get("worker_id")
    moment = datetime.fromisoformat(str(item["occurred_at"]))
    return {
        "ipAddress": "192.168.1.64",
        "protocol": "HTTP",
        "dateTime": moment.isoformat(timespec="seconds"),
        "activePostCount": 1,
        "eventType": "AccessControllerEvent",
        "eventState": "active",
        "AccessControllerEvent": {
            "deviceName": "Access Controller",
            "majorEventType": 5,
            "subEventType": 75 if worker else 76,
            "employeeNoString": str(worker or ""),
            "serialNo": int(item["serial"]),
            "currentVerifyMode": "cardOrFace",
            "attendanceStatus": _STATUS.get(str(item.get("direction")), "undefined"),
            "picturesNumber": 1,
        },
    }


def multipart_body(event: dict[str, Any], picture: bytes | None) -> tuple[str, bytes]:
    """(content type, body) as the terminal writes them: indented JSON, then the picture."""
    boundary = f"MIME_boundary_{secrets.token_hex(6)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="event_log"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(event, indent=4, ensure_ascii=False)}"
        "\r\n".encode()
    ]
    if picture is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="Picture";'
            ' filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + picture
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class HikvisionTerminal:
    """One terminal, known by ``serial``, over a shared client whose base URL is ingest's."""

    def __init__(self, http: httpx.AsyncClient, serial: str) -> None:
        self._http = http
        self.serial = serial

    async def send(self, event: dict[str, Any], picture: bytes | None = None) -> httpx.Response:
        content_type, body = multipart_body(event, picture)
        return await self._http.post(
            f"/isapi/{self.serial}/events", content=body, headers={"content-type": content_type}
        )

    async def push(self, items: list[dict[str, Any]]) -> tuple[httpx.Response, int]:
        """One post per event, as the terminal does; stops at the first refusal."""
        sent = 0
        reply = httpx.Response(200)
        for item in items:
            reply = await self.send(access_event(item))
            if reply.status_code != 200:
                break
            sent += 1
        return reply, sent
