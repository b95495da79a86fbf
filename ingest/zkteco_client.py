"""The terminal's side of ZKTeco PUSH, for the simulator and the tests: open a session,
push attendance lines in the terminal's local time and the photos of faces it turned
away, poll for commands and answer them."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import httpx
import numpy as np

_STATUS = {"in": "0", "out": "1"}
_VERIFY = {"face": "15", "card": "4"}


def attlog_line(item: dict[str, Any], zone: ZoneInfo) -> str | None:
    """A SitePulse device item as the terminal writes it, or None for a face it did not
    know (a PUSH terminal does not put strangers in its attendance log)."""
    if not item.get("worker_id"):
        return None
    local = datetime.fromisoformat(str(item["occurred_at"])).astimezone(zone)
    status = _STATUS.get(str(item.get("direction")), "255")
    verify = _VERIFY.get(str(item.get("method")), "4")
    return f"{item['worker_id']}\t{local:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0"


@functools.cache
def capture_photo() -> bytes:
    """A small grey JPEG standing for a capture of a face the terminal did not know."""
    encoded, buffer = cv2.imencode(".jpg", np.full((96, 96, 3), 128, np.uint8))
    assert encoded
    return bytes(buffer)


class ZktecoTerminal:
    """One terminal, known by ``serial``, over a shared client whose base URL is ingest's.
    Like a real one it logs a person at most once a second (its log has no finer time)."""

    def __init__(self, http: httpx.AsyncClient, serial: str, zone: ZoneInfo) -> None:
        self._http = http
        self.serial = serial
        self.zone = zone
        self._last_logged: dict[str, str] = {}  # PIN -> the second of their last line

    async def open_session(self) -> httpx.Response:
        return await self._http.get("/iclock/cdata", params={"SN": self.serial, "options": "all"})

    async def push(self, items: list[dict[str, Any]]) -> tuple[httpx.Response, int]:
        """Push the items: known people as attendance lines, strangers as capture photos;
        returns the last reply and how many items were sent."""
        lines = []
        strangers = 0
        for item in items:
            line = attlog_line(item, self.zone)
            if line is None:
                reply = await self.push_stranger(item, capture_photo())
                if reply.status_code != 200:
                    return reply, strangers
                strangers += 1
                continue
            pin, second = line.split("\t")[:2]
            if self._last_logged.get(pin) != second:
                self._last_logged[pin] = second
                lines.append(line)
        body = ("\n".join(lines) + "\n").encode() if lines else b""
        reply = await self._http.post(
            "/iclock/cdata",
            params={"SN": self.serial, "table": "ATTLOG", "Stamp": "9999"},
            content=body,
        )
        return reply, strangers + len(lines)

    async def push_stranger(self, item: dict[str, Any], jpeg: bytes) -> httpx.Response:
        """The capture photo of a face it turned away (ATTPHOTO, no PIN in the file name)."""
        local = datetime.fromisoformat(str(item["occurred_at"])).astimezone(self.zone)
        head = f"PIN={local:%Y%m%d%H%M%S}.jpg\nSN={self.serial}\nsize={len(jpeg)}\n"
        body = head.encode() + b"CMD=uploadphoto\x00" + jpeg
        return await self._http.post(
            "/iclock/cdata",
            params={"SN": self.serial, "table": "ATTPHOTO", "Stamp": "9999"},
            content=body,
        )

    async def poll_and_answer(self) -> list[str]:
        """Take the commands waiting for this terminal and report each as done."""
        reply = await self._http.get("/iclock/getrequest", params={"SN": self.serial})
        reply.raise_for_status()
        commands = [line for line in reply.text.splitlines() if line.startswith("C:")]
        if commands:
            answers = "".join(f"ID={c.split(':')[1]}&Return=0&CMD=DATA\n" for c in commands)
            done = await self._http.post(
                "/iclock/devicecmd", params={"SN": self.serial}, content=answers.encode()
            )
            done.raise_for_status()
        return commands
