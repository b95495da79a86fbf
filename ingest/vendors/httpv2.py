"""The "HTTPv2" face-terminal protocol many Chinese OEM terminals speak (人脸识别设备后台
对接协议 HTTPv2), the pure part. The terminal calls the platform:

- ``POST /Device/Keepalive`` (JSON ``{"SN": ..., door and alarm states}``) every polling
  interval; the answer ``{"Success": 1}`` lets it go on, ``{"Success": 401}`` (unknown
  serial) silences it until its next keepalive.
- ``POST /Record/UploadIdentifyRecord``, multipart/form-data: ``SN``, the record as JSON in
  ``RecordDetail`` (``recordJson`` on some firmware; a part may be gzip-compressed) and the
  capture in ``Photo`` (or ``pic``). One record per request: ``RecordID`` (its identity),
  ``RecordType`` (how it was verified, or why it was refused), ``RecordDate`` (unix time),
  ``UserID`` (the person number, the worker id), ``IsEntry`` (1 in, 0 out).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ingest.vendors.form_parts import FormError, form_parts
from streams.records import Direction, PassMethod

_FACE = {3, 5, 6, 8, 12, 13, 14, 37, 40, 42, 43, 47}  # verified with the face among others
_PASSED = {1, 2, 4, 7, 9, 10, 11, 29, 36, 38, 39, 41, 46} | _FACE
_NOBODY = {19: PassMethod.FACE, 48: PassMethod.CARD, 49: PassMethod.QR}  # not registered
# Anything else (a known person turned away: 16-18, 20-24, 26-28, 30, 45; a repeat: 15; a
# menu operation: 33-35; a visitor: 31-32; combination steps: 44) is not a pass.
_SERIAL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_PIN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_MAX_ID = 2**63 - 1


class HttpV2Error(ValueError):
    """The upload cannot be read; the message says why."""


@dataclass(frozen=True)
class IdentifyRecord:
    record_id: int
    occurred_at: datetime
    worker_id: str | None  # None: nobody registered (a stranger, an unknown card)
    method: PassMethod
    direction: Direction | None  # None: the terminal's own direction
    photo: bytes | None


@dataclass(frozen=True)
class NotAPass:
    """A record of something else (a refusal, a menu operation, a visitor's code)."""

    record_type: int


@dataclass(frozen=True)
class Upload:
    serial_number: str
    record: IdentifyRecord | NotAPass


def keepalive_serial(body: bytes) -> str:
    """The serial number of a keepalive; raises :class:`HttpV2Error`."""
    try:
        value = json.loads(body.decode("utf-8", errors="replace").rstrip("\x00"))
    except ValueError:
        raise HttpV2Error("the keepalive is not JSON") from None
    serial = value.get("SN") if isinstance(value, dict) else None
    if not isinstance(serial, str) or not _SERIAL.match(serial.strip()):
        raise HttpV2Error("SN is missing or not a serial number")
    return serial.strip()


def serial_of_upload(content_type: str, body: bytes) -> tuple[str, list[Any]]:
    """The serial number and the parts of an upload (read once); raises HttpV2Error."""
    try:
        parts = form_parts(content_type, body)
    except FormError as exc:
        raise HttpV2Error(str(exc)) from None
    fields = {part.name: part for part in parts}
    serial_part = fields.get("SN")
    serial = serial_part.data.decode("utf-8", errors="replace").strip() if serial_part else ""
    if not _SERIAL.match(serial):
        raise HttpV2Error("SN is missing or not a serial number")
    return serial, parts


def parse_upload(serial: str, parts: list[Any]) -> Upload:
    """Read the record of an upload; raises :class:`HttpV2Error` (and nothing else)."""
    fields = {part.name: part for part in parts}
    detail = fields.get("RecordDetail") or fields.get("recordJson")
    if detail is None:
        raise HttpV2Error("no RecordDetail part")
    photo_part = fields.get("Photo") or fields.get("pic")
    photo = photo_part.data if photo_part is not None and photo_part.data else None
    try:
        value = json.loads(detail.data.decode("utf-8", errors="replace").rstrip("\x00"))
    except ValueError:
        raise HttpV2Error("RecordDetail is not JSON") from None
    if not isinstance(value, dict):
        raise HttpV2Error("RecordDetail is not a JSON object")
    return Upload(serial, _record(value, photo))


def _record(value: dict[str, Any], photo: bytes | None) -> IdentifyRecord | NotAPass:
    record_type = _int(value.get("RecordType"))
    if record_type is None:
        raise HttpV2Error("RecordType is missing or not a number")
    if record_type not in _PASSED and record_type not in _NOBODY:
        return NotAPass(record_type)
    record_id = _int(value.get("RecordID"))
    if record_id is None or not 0 <= record_id <= _MAX_ID:
        raise HttpV2Error("RecordID is missing or not a number")
    stamp = _int(value.get("RecordDate"))
    if stamp is None:
        raise HttpV2Error("RecordDate is missing or not unix time")
    try:
        occurred_at = datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise HttpV2Error("RecordDate is out of range") from None
    entry = _int(value.get("IsEntry"))
    direction = {1: Direction.IN, 0: Direction.OUT}.get(entry) if entry is not None else None
    if record_type in _NOBODY:
        return IdentifyRecord(record_id, occurred_at, None, _NOBODY[record_type], direction, photo)
    person = str(value.get("UserID") or "").strip()
    if not _PIN.match(person):
        raise HttpV2Error("UserID is missing or not a person number")
    method = PassMethod.FACE if record_type in _FACE else PassMethod.CARD
    return IdentifyRecord(record_id, occurred_at, person, method, direction, photo)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
