"""Hikvision ISAPI event push ("HTTP listening", 监听), the pure part: a face terminal
(DS-K1T series) posts each access event to the platform's URL, as multipart/form-data
whose JSON part is named ``event_log`` or ``AccessControllerEvent`` (firmware differ) with
the capture picture in a following part, or as the XML ``EventNotificationAlert``. It
also posts ``heartBeat`` events.

Access events (``majorEventType`` 5) that matter here:

- ``subEventType`` 75 face authenticated, 1 card authenticated, 38 fingerprint
  authenticated: a pass of ``employeeNoString`` (the person number, the worker id);
- 76 face not recognised (a stranger), 9/39 card or fingerprint refused: a pass of nobody,
  kept with its picture and never counted as attendance.

An event's identity is the terminal's ``serialNo``; its time carries an offset on current
firmware, and is read in the terminal's zone when it does not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from ingest.vendors.form_parts import FormError, form_parts
from streams.records import Direction, PassMethod

_PASSED = {75: PassMethod.FACE, 1: PassMethod.CARD, 38: PassMethod.CARD}
_REFUSED = {76: PassMethod.FACE, 9: PassMethod.CARD, 39: PassMethod.CARD}
_ATTENDANCE = {"checkIn": Direction.IN, "checkOut": Direction.OUT, "breakIn": Direction.IN}
_ATTENDANCE |= {"breakOut": Direction.OUT, "overtimeIn": Direction.IN}
_ATTENDANCE |= {"overtimeOut": Direction.OUT}
_PIN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_MAX_SERIAL = 2**63 - 1


class HikvisionError(ValueError):
    """The push is not an event this module can read; the message says why."""


@dataclass(frozen=True)
class AccessEvent:
    serial: int  # the terminal's serialNo
    occurred_at: datetime  # aware
    worker_id: str | None  # None: a stranger, or a refused card
    method: PassMethod
    direction: Direction
    picture: bytes | None


@dataclass(frozen=True)
class Heartbeat:
    at: datetime | None


@dataclass(frozen=True)
class Ignored:
    """An event of another kind (door sensor, tamper...): acknowledged, not a pass."""

    event_type: str


Pushed = AccessEvent | Heartbeat | Ignored


def parse_push(content_type: str, body: bytes, *, zone: ZoneInfo, default: Direction) -> Pushed:
    """Read one push; raises :class:`HikvisionError` (and nothing else) when it cannot."""
    try:
        fields, picture = _payload(content_type, body)
        return _event(fields, picture, zone=zone, default=default)
    except HikvisionError:
        raise
    except (ValueError, TypeError, KeyError, ElementTree.ParseError, UnicodeError) as exc:
        raise HikvisionError(f"unreadable event: {type(exc).__name__}") from None


def _payload(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes | None]:
    """The event's fields (JSON, or XML turned into the same shape) and its picture."""
    if "multipart" not in content_type.lower():
        return _fields(body), None
    try:
        parts = form_parts(content_type, body)
    except FormError as exc:
        raise HikvisionError(str(exc)) from None
    fields: dict[str, Any] | None = None
    picture = None
    for part in parts:
        if not part.data:
            continue
        if part.content_type.startswith("image/") or part.data[:3] == b"\xff\xd8\xff":
            picture = picture or part.data
        elif fields is None:
            fields = _fields(part.data)
    if fields is None:
        raise HikvisionError("no event_log or AccessControllerEvent part")
    return fields, picture


def _fields(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", errors="replace").strip().rstrip("\x00").strip()
    if text.startswith("<"):
        return _xml_fields(text)
    value = json.loads(text)
    if not isinstance(value, dict):
        raise HikvisionError("the event is not a JSON object")
    return value


def _xml_fields(text: str) -> dict[str, Any]:
    """``EventNotificationAlert`` as the JSON variant's shape (namespaces dropped)."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise HikvisionError("XML with a document type is not accepted")
    root = ElementTree.fromstring(text)

    def plain(element: ElementTree.Element) -> Any:
        children = list(element)
        if not children:
            return (element.text or "").strip()
        return {child.tag.rsplit("}", 1)[-1]: plain(child) for child in children}

    value = plain(root)
    if not isinstance(value, dict):
        raise HikvisionError("an empty EventNotificationAlert")
    return value


def _event(
    fields: dict[str, Any], picture: bytes | None, *, zone: ZoneInfo, default: Direction
) -> Pushed:
    event_type = str(fields.get("eventType", ""))
    moment = _time(fields.get("dateTime"), zone)
    if event_type.lower() == "heartbeat":
        return Heartbeat(moment)
    access = fields.get("AccessControllerEvent")
    if event_type != "AccessControllerEvent" or not isinstance(access, dict):
        return Ignored(event_type or "unnamed")
    if moment is None:
        raise HikvisionError("dateTime is missing or not an ISO time")
    major, minor = _int(access.get("majorEventType")), _int(access.get("subEventType"))
    if major != 5 or (minor not in _PASSED and minor not in _REFUSED):
        return Ignored(f"AccessControllerEvent {major}/{minor}")
    serial = _int(access.get("serialNo"))
    if serial is None or not 0 <= serial <= _MAX_SERIAL:
        raise HikvisionError("serialNo is missing or not a number")
    direction = _ATTENDANCE.get(str(access.get("attendanceStatus", "")), default)
    if minor in _REFUSED:
        return AccessEvent(serial, moment, None, _REFUSED[minor], direction, picture)
    person = str(access.get("employeeNoString") or access.get("employeeNo") or "")
    if not _PIN.match(person):
        raise HikvisionError("employeeNoString is missing or not a person number")
    return AccessEvent(serial, moment, person, _PASSED[minor], direction, picture)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _time(value: Any, zone: ZoneInfo) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
