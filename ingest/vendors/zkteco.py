"""ZKTeco's PUSH protocol (ADMS, "iclock"), the pure part: what a terminal sends, read
into passes, and what the server answers, written as the terminal expects it.

A terminal polls the server over plain HTTP and is known by its serial number (``SN``):

- ``GET /iclock/cdata?SN=..&options=all`` opens a session; the reply sets its options
  (which tables to push, how often, its time zone).
- ``POST /iclock/cdata?SN=..&table=ATTLOG`` pushes attendance records, one per line, tab
  separated: ``PIN  YYYY-MM-DD HH:MM:SS  status  verify  workcode  reserved...``, in the
  terminal's local time with no zone. The reply is ``OK: <records taken>``.
- ``table=OPERLOG`` pushes operation and user records; ``table=ATTPHOTO`` a capture photo
  after a few header lines, its file name ``<local time>[-<PIN>].jpg`` (no PIN: a face
  the terminal turned away).
- ``GET /iclock/getrequest?SN=..`` is the heartbeat and the command poll: the reply is
  ``OK`` or commands, one per line, ``C:<id>:<command>``.
- ``POST /iclock/devicecmd?SN=..`` reports command results: ``ID=<id>&Return=<code>&CMD=..``
  lines (``Return=0`` is success).

Records have no id of their own: a pass is identified by terminal, person and time, which
makes a backlog the terminal sends again after a reconnect harmless downstream.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from streams.records import Direction, PassMethod

#: ATTLOG status: 0 check-in, 1 check-out, 2 break-out, 3 break-in, 4 overtime-in,
#: 5 overtime-out; anything else (255: not set) takes the terminal's own direction.
_STATUS_DIRECTION = {
    "0": Direction.IN,
    "1": Direction.OUT,
    "2": Direction.OUT,
    "3": Direction.IN,
    "4": Direction.IN,
    "5": Direction.OUT,
}
#: ATTLOG verify mode: 15 face, 4 card (with 3/11 password and card variants); a
#: fingerprint or password pass is still the person's own: it counts as a card pass.
_VERIFY_METHOD = {"15": PassMethod.FACE, "25": PassMethod.FACE}
_MAX_PIN = 24


@dataclass(frozen=True)
class AttRecord:
    """One readable ATTLOG line, as a pass of the person the terminal knows as ``pin``."""

    pin: str
    occurred_at: datetime  # aware
    direction: Direction
    method: PassMethod
    line: str

    @property
    def serial(self) -> int:
        """A stable number for terminal-independent identity: person + local time."""
        digest = hashlib.sha256(f"{self.pin}|{self.occurred_at.isoformat()}".encode()).digest()
        return int.from_bytes(digest[:7], "big")


@dataclass(frozen=True)
class BadLine:
    number: int  # 1-based
    line: str
    reason: str


def decode(body: bytes) -> str:
    """Terminals write UTF-8 or, on older Chinese firmware, GBK; names may be either."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


def parse_attlog(
    body: bytes, *, zone: ZoneInfo, default: Direction
) -> tuple[list[AttRecord], list[BadLine]]:
    """The records of an ATTLOG push and the lines that are not records (total: every
    line is one or the other; blank lines and trailing NULs are neither)."""
    records: list[AttRecord] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(decode(body).replace("\x00", "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        fields = [part.strip() for part in line.split("\t")]
        if len(fields) < 2:
            fields = line.split()  # some firmware separates with spaces
            fields = [fields[0], " ".join(fields[1:3]), *fields[3:]] if len(fields) >= 3 else []
        if len(fields) < 2:
            bad.append(BadLine(number, line, "not PIN<TAB>time"))
            continue
        pin = fields[0]
        if not pin.isascii() or not pin.isalnum() or len(pin) > _MAX_PIN:
            bad.append(BadLine(number, line, "the person number is not 1-24 letters or digits"))
            continue
        try:
            local = datetime.strptime(fields[1], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            bad.append(BadLine(number, line, "the time is not YYYY-MM-DD HH:MM:SS"))
            continue
        status = fields[2] if len(fields) > 2 else ""
        verify = fields[3] if len(fields) > 3 else ""
        records.append(
            AttRecord(
                pin=pin,
                occurred_at=local.replace(tzinfo=zone),
                direction=_STATUS_DIRECTION.get(status, default),
                method=_VERIFY_METHOD.get(verify, PassMethod.CARD),
                line=line,
            )
        )
    return records, bad


class PhotoError(ValueError):
    """An ATTPHOTO push that cannot be read; the message says why."""


@dataclass(frozen=True)
class AttPhoto:
    """A capture photo: of a verified person (``pin``), or of a face the terminal turned
    away (``pin`` None: a stranger, or a failed verification)."""

    pin: str | None
    occurred_at: datetime  # aware
    file_name: str
    jpeg: bytes

    @property
    def serial(self) -> int:
        """Its identity (file name and size), so a photo sent again is stored once."""
        digest = hashlib.sha256(f"photo|{self.file_name}|{len(self.jpeg)}".encode()).digest()
        return int.from_bytes(digest[:7], "big")


_UPLOAD = b"CMD=uploadphoto"


def parse_attphoto(body: bytes, *, zone: ZoneInfo) -> AttPhoto:
    """``PIN=<time>[-<pin>].jpg\nSN=..\nsize=..\nCMD=uploadphoto\0<JPEG>``: the file name
    carries the local time and, for a verified person, their PIN."""
    at = body.find(_UPLOAD)
    if at < 0:
        raise PhotoError("no CMD=uploadphoto line")
    jpeg = body[at + len(_UPLOAD) :].lstrip(b"\x00\r\n")
    fields = dict(line.split("=", 1) for line in decode(body[:at]).splitlines() if "=" in line)
    name = fields.get("PIN", "").strip()
    stem = name.rsplit(".", 1)[0]
    stamp, _, pin = stem.partition("-")
    try:
        local = datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise PhotoError(f"the file name {name[:64]!r} does not start with the time") from None
    if pin and (not pin.isascii() or not pin.isalnum() or len(pin) > _MAX_PIN):
        raise PhotoError("the person number is not 1-24 letters or digits")
    if not jpeg.startswith(b"\xff\xd8"):
        raise PhotoError("the photo is not a JPEG")
    return AttPhoto(pin or None, local.replace(tzinfo=zone), name[:64], jpeg)


def firmware_of_info(info: str) -> str | None:
    """The firmware version, the first field of a poll's ``INFO`` (``Ver 8.0.4.3-20220317,
    users,fingerprints,records,ip,...``); None when it is not there."""
    version = info.split(",", 1)[0].strip()
    return version[:64] or None


def options_reply(serial_number: str, *, utc_offset_hours: int, poll_s: int = 10) -> str:
    """The reply to the session's opening: push attendance and photos in real time."""
    lines = [
        f"GET OPTION FROM: {serial_number}",
        "ATTLOGStamp=None",
        "OPERLOGStamp=9999",
        "ATTPHOTOStamp=None",
        "ErrorDelay=30",
        f"Delay={poll_s}",
        "TransTimes=00:00;14:05",
        "TransInterval=1",
        "TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tUserPic",
        f"TimeZone={utc_offset_hours}",
        "Realtime=1",
        "Encrypt=None",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class CommandResult:
    command_id: int
    code: int  # 0: done; negative: the terminal's error
    command: str


def parse_command_results(body: bytes) -> list[CommandResult]:
    """``ID=..&Return=..&CMD=..`` lines; lines without a numeric id and code are skipped."""
    found = []
    for line in decode(body).replace("\x00", "").splitlines():
        values = dict(parse_qsl(line.strip(), keep_blank_values=True))
        try:
            found.append(
                CommandResult(int(values["ID"]), int(values["Return"]), values.get("CMD", ""))
            )
        except (KeyError, ValueError):
            continue
    return found


def _field(value: str) -> str:
    """A value safe inside a tab-separated command: no tabs, line breaks or NULs."""
    return "".join(" " if ch in "\t\r\n\x00" else ch for ch in value)[:64]


def user_command(command_id: int, pin: str, name: str, card: str | None) -> str:
    """Add or update a person on the terminal (人员下发)."""
    fields = [f"PIN={_field(pin)}", f"Name={_field(name)}", "Pri=0", "Passwd="]
    fields.append(f"Card={_field(card or '')}")
    fields += ["Grp=1", "TZ=0000000000000000"]
    return f"C:{command_id}:DATA UPDATE USERINFO " + "\t".join(fields)


def face_photo_command(command_id: int, pin: str, jpeg: bytes) -> str:
    """The person's face picture for a visible-light face terminal to enrol from
    (``BIOPHOTO``, type 9), base64 in the line."""
    content = base64.b64encode(jpeg).decode()
    fields = [f"PIN={_field(pin)}", "Type=9", f"Size={len(content)}", f"Content={content}"]
    fields += ["Format=0", "Url=", "PostBackTmpFlag=0"]
    return f"C:{command_id}:DATA UPDATE BIOPHOTO " + "\t".join(fields)


def person_commands(
    command_id: int, pin: str, name: str, card: str | None, face: bytes | None
) -> list[str]:
    """The lines that put a person on the terminal; they share the command's id, and the
    command is done only when every line of it is."""
    lines = [user_command(command_id, pin, name, card)]
    if face is not None:
        lines.append(face_photo_command(command_id, pin, face))
    return lines


def delete_user_command(command_id: int, pin: str) -> str:
    return f"C:{command_id}:DATA DELETE USERINFO PIN={_field(pin)}"


def commands_reply(commands: Iterable[str]) -> str:
    lines = list(commands)
    return "\n".join(lines) + "\n" if lines else "OK"
