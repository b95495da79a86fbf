"""Dahua access control terminals, the pure part: the event stream a client holds open
with ``GET /cgi-bin/eventManager.cgi?action=attach&codes=[AccessControl]&heartbeat=N``
(digest auth). The answer never ends: ``multipart/x-mixed-replace`` parts, each either
``Heartbeat`` or an event line ``Code=AccessControl;action=Pulse;index=0;data={...}``.

The ``data`` of an access event: ``RecNo`` (the record number: its identity), ``UserID``
(the person number, the worker id), ``Method`` (15 face, 1 card, ...), ``Status`` (1
passed, 0 refused: a refused face is a stranger), ``Type`` (Entry / Exit), and ``UTC``,
which on most firmware is the terminal's *local* time written as if it were UTC: it is
read in the terminal's zone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from streams.records import Direction, PassMethod

_PIN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_DIRECTION = {"entry": Direction.IN, "exit": Direction.OUT}
_FACE_METHODS = {15, 21}  # face; face + card
_MAX_PART = 256 * 1024


class DahuaError(ValueError):
    """A part that is not a readable event; the message says why."""


@dataclass(frozen=True)
class AccessRecord:
    record_no: int
    occurred_at: datetime
    worker_id: str | None  # None: refused (a stranger's face, an unknown card)
    method: PassMethod
    direction: Direction


@dataclass(frozen=True)
class Beat:
    """The stream's heartbeat."""


@dataclass(frozen=True)
class Other:
    code: str


Part = AccessRecord | Beat | Other


def software_version(body: bytes) -> str | None:
    """The firmware of ``magicBox.cgi?action=getSoftwareVersion``'s answer
    (``version=2.800.0000000.6.R,build:2022-05-11``); None when it says none."""
    for line in body.decode("utf-8", errors="replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip().lower() == "version" and value.strip():
            return value.strip()[:64]
    return None


class PartReader:
    """Splits the endless multipart body into parts as bytes arrive (total: a part that
    outgrows its limit is dropped, not kept growing)."""

    def __init__(self, boundary: str) -> None:
        self._delimiter = b"--" + boundary.encode("latin-1")
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        parts: list[bytes] = []
        while (part := self._next()) is not None:
            parts.append(part)
        return parts

    def _next(self) -> bytes | None:
        """The next whole part, as soon as its Content-Length (or the next boundary) says
        it is all there; None while it is not."""
        start = self._buffer.find(self._delimiter)
        if start < 0:
            self._buffer = self._buffer[-len(self._delimiter) :]
            return None
        self._buffer = self._buffer[start + len(self._delimiter) :]
        head_end = self._buffer.find(b"\r\n\r\n")
        length = _content_length(self._buffer[:head_end]) if head_end >= 0 else None
        if length is not None and len(self._buffer) >= head_end + 4 + length:
            body = self._buffer[head_end + 4 : head_end + 4 + length]
            self._buffer = self._buffer[head_end + 4 + length :]
            return body.strip()
        following = self._buffer.find(self._delimiter)
        if following < 0:
            if len(self._buffer) > _MAX_PART:
                self._buffer = b""  # an endless part: give it up
            else:
                self._buffer = self._delimiter + self._buffer  # wait for the rest
            return None
        chunk, self._buffer = self._buffer[:following], self._buffer[following:]
        _, separator, body = chunk.partition(b"\r\n\r\n")
        return body.strip() if separator else chunk.strip()


def _content_length(head: bytes) -> int | None:
    found = re.search(rb"(?im)^content-length:\s*(\d{1,7})\s*$", head)
    return int(found.group(1)) if found else None


def boundary_of(content_type: str) -> str:
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    return found.group(1) if found else "myboundary"


def parse_part(body: bytes, *, zone: ZoneInfo, default: Direction) -> Part:
    """Read one part; raises :class:`DahuaError` (and nothing else) when it cannot."""
    try:
        text = body.decode("utf-8", errors="replace").strip()
        if text.lower().startswith("heartbeat"):
            return Beat()
        head, _, data = text.partition("data=")
        fields = dict(
            item.split("=", 1) for item in head.strip().strip(";").split(";") if "=" in item
        )
        code = fields.get("Code", "")
        if code != "AccessControl":
            return Other(code or "unnamed")
        return _access(json.loads(data) if data else {}, zone=zone, default=default)
    except DahuaError:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
        raise DahuaError(f"unreadable event: {type(exc).__name__}") from None


def _access(data: Any, *, zone: ZoneInfo, default: Direction) -> AccessRecord:
    if not isinstance(data, dict):
        raise DahuaError("data is not a JSON object")
    record_no = data.get("RecNo")
    if not isinstance(record_no, int) or isinstance(record_no, bool) or record_no < 0:
        raise DahuaError("RecNo is missing or not a number")
    stamp = data.get("UTC", data.get("CreateTime"))
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise DahuaError("UTC is missing or not a number")
    wall = datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)  # the terminal's clock
    method_code = data.get("Method")
    method = PassMethod.FACE if method_code in _FACE_METHODS else PassMethod.CARD
    direction = _DIRECTION.get(str(data.get("Type", "")).lower(), default)
    passed = data.get("Status") == 1 and data.get("ErrorCode", 0) == 0
    person = str(data.get("UserID") or "")
    if passed and not _PIN.match(person):
        raise DahuaError("UserID is missing or not a person number")
    return AccessRecord(
        record_no=record_no,
        occurred_at=wall.replace(tzinfo=zone),
        worker_id=person if passed else None,
        method=method,
        direction=direction,
    )
