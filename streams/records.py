"""The SitePulse event schemas shared by every package (the floor: imports nothing upward).

Devices send :class:`DevicePass` items; ingest turns each into a :class:`PassEvent`, the
value of the ``gate.passes`` topic. Validation is strict and explains itself: every
problem names its field, an English reason and a Chinese message for the UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from infra.errors import FieldProblem, InvalidInputError

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
#: What a new project or device id must look like (at most 64 characters): it also names
#: snapshot folders and files, so it starts with a letter or digit and holds no ``..``.
NEW_ID_PATTERN = r"^[A-Za-z0-9](?:\.?[A-Za-z0-9_:-])*\.?$"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    UNKNOWN = "unknown"


class PassMethod(StrEnum):
    FACE = "face"
    CARD = "card"
    QR = "qr"
    MOBILE = "mobile"


class Verification(StrEnum):
    """SitePulse's check of a face match made on the device, against the claimed worker."""

    CONFIRMED = "confirmed"
    MISMATCH = "mismatch"
    UNVERIFIABLE = "unverifiable"  # no usable face in the snapshot, or nobody enrolled


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def aware_utc(value: datetime) -> datetime:
    """The moment in UTC; a naive time, or one that UTC cannot hold, is a ValueError."""
    if value.tzinfo is None:
        raise ValueError("must carry a timezone offset, e.g. 2026-11-21T08:00:00+08:00")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of the range of representable times") from None


def _moved_to_utc(field: str, moment: datetime) -> datetime:
    """:func:`aware_utc`, its problem raised with the field's name (from a model validator,
    pydantic would name the model instead)."""
    try:
        return aware_utc(moment)
    except ValueError as exc:
        problem = FieldProblem(field, str(exc), f"{field}: 时间超出可表示范围")
        raise InvalidInputError([problem]) from None


class DevicePass(StrictModel):
    """One pass as a gate reports it. ``serial`` is the device's own sequence number."""

    serial: Annotated[int, Field(ge=0, le=2**63 - 1)]
    occurred_at: datetime
    direction: Direction
    method: PassMethod
    worker_id: Identifier | None = None
    score: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    snapshot_ref: Annotated[str, StringConstraints(max_length=256)] | None = None

    _utc = field_validator("occurred_at")(aware_utc)


class DeviceBatch(StrictModel):
    """The body of ``POST /v1/passes``: a batch of passes from one authenticated device."""

    events: Annotated[list[DevicePass], Field(min_length=1)]


class PassEvent(StrictModel):
    """The value of the ``gate.passes`` topic (key: ``project_id``).

    Every worker decodes each pass, so its times are checked for an offset by pydantic's
    own ``AwareDatetime`` and moved to ``datetime.UTC`` by one model validator (two field
    validators were half of a pass's decoding time)."""

    event_id: Identifier
    device_id: Identifier
    project_id: Identifier
    worker_id: Identifier | None
    direction: Direction
    method: PassMethod
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    score: float | None = None
    snapshot_ref: str | None = None
    verification: Verification | None = None

    @model_validator(mode="after")
    def _in_utc(self) -> PassEvent:
        for name in ("occurred_at", "received_at"):
            moment: datetime = getattr(self, name)
            # Also pydantic's own tzinfo of a "Z" time: every later comparison, difference
            # and timestamp of the moment costs several times what it does in UTC.
            if moment.tzinfo is not UTC:
                object.__setattr__(self, name, _moved_to_utc(name, moment))
        return self

    @classmethod
    def from_device(
        cls, item: DevicePass, *, device_id: str, project_id: str, received_at: datetime
    ) -> PassEvent:
        """The event for one device pass; its id is the idempotency key device + serial."""
        return cls(
            event_id=f"{device_id}:{item.serial}",
            device_id=device_id,
            project_id=project_id,
            worker_id=item.worker_id,
            direction=item.direction,
            method=item.method,
            occurred_at=item.occurred_at,
            received_at=received_at,
            score=item.score,
            snapshot_ref=item.snapshot_ref,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


_ZH_BY_ERROR_TYPE = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "string_too_long": "内容过长",
    "string_type": "应为字符串",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "datetime_type": "应为时间",
    "timezone_aware": "时间须带时区，例如 2026-11-21T08:00:00+08:00",
    "too_short": "不能为空",
    "list_type": "应为数组",
    "model_type": "应为对象",
    "json_invalid": "不是合法的 JSON",
    "value_error": "取值不正确",
}


def problems_from(error: ValidationError) -> list[FieldProblem]:
    """Translate a pydantic error into field problems with dotted paths (``events.3.direction``)."""
    return field_problems(error.errors(include_url=False))


def field_problems(errors: Sequence[Mapping[str, Any]]) -> list[FieldProblem]:
    """Field problems from pydantic's error dicts; a location that starts with where the
    value came from (``body``, ``query``, ``path``) is named without it."""
    problems = []
    for item in errors:
        loc = [str(part) for part in item.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header") and len(loc) > 1:
            loc = loc[1:]
        if str(item.get("type")) == "json_invalid":
            loc = ["body"]
        path = ".".join(loc) or "body"
        reason = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        zh = _ZH_BY_ERROR_TYPE.get(str(item.get("type")), "取值不正确")
        problems.append(FieldProblem(field=path, reason=reason, message_zh=f"{path}: {zh}"))
    return problems


def parse_device_batch(body: bytes) -> DeviceBatch:
    """Parse and validate a device's JSON batch, raising :class:`InvalidInputError`."""
    try:
        return DeviceBatch.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None


def parse_pass_event(value: bytes | str | dict[str, Any]) -> PassEvent:
    """Parse a ``gate.passes`` value, raising :class:`InvalidInputError`."""
    try:
        if isinstance(value, dict):
            return PassEvent.model_validate(value)
        return PassEvent.model_validate_json(value)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None


class DeadLetter(StrictModel):
    """The value of the ``deadletter`` topic: an event that could not be processed, and why."""

    source_topic: str
    reason: str
    payload: str
    failed_at: datetime
    kind: str = "invalid"  # invalid, event_time, store_refused, unreadable_frame, registry

    @classmethod
    def for_payload(
        cls,
        source_topic: str,
        reason: str,
        payload: bytes | None,
        *,
        failed_at: datetime,
        kind: str = "invalid",
    ) -> DeadLetter:
        text = (payload or b"").decode("utf-8", errors="backslashreplace")
        return cls(
            source_topic=source_topic, reason=reason, payload=text, failed_at=failed_at, kind=kind
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class RegistryChange(StrictModel):
    """The value of the compacted ``registry`` topic. The key is ``<entity>:<id>``; the
    value is that entity's whole current state, so compaction keeps what matters."""

    entity: Annotated[str, StringConstraints(pattern=r"^(worker|membership|device|enrolment)$")]
    entity_id: str
    state: dict[str, Any]
    seq: int
    changed_at: datetime

    @property
    def key(self) -> str:
        return f"{self.entity}:{self.entity_id}"

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class PayrollFact(StrictModel):
    """The value of the ``payroll`` topic: one fact of payroll (a sheet's new state, a line,
    a payment, a failure, a card change, a dispute), in order per key, for the wage
    analytics. Never a full card or ID number."""

    fact: Annotated[str, StringConstraints(pattern=r"^(sheet|line|payment|failure|card|dispute)$")]
    key: str
    data: dict[str, Any]
    seq: int
    at: datetime

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class Heartbeat(StrictModel):
    """The body of ``POST /v1/heartbeats``: optional facts a gate reports about itself."""

    firmware: Annotated[str, StringConstraints(max_length=64)] | None = None
    backlog: Annotated[int, Field(ge=0)] | None = None  # passes buffered, not yet sent


def parse_heartbeat(body: bytes) -> Heartbeat:
    try:
        return Heartbeat.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None


class HeartbeatEvent(StrictModel):
    """The value of the ``gate.heartbeats`` topic (key: ``project_id``): a gate said it is
    alive, in any protocol, with what it told of itself."""

    device_id: Identifier
    project_id: Identifier
    protocol: Annotated[str, StringConstraints(max_length=16)]
    received_at: datetime
    device_time: datetime | None = None  # the gate's own clock, where it sent it
    firmware: Annotated[str, StringConstraints(max_length=64)] | None = None
    backlog: Annotated[int, Field(ge=0)] | None = None  # passes buffered, not yet sent

    _utc = field_validator("received_at")(aware_utc)

    @field_validator("device_time")
    @classmethod
    def _device_time_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else aware_utc(value)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def parse_heartbeat_event(value: bytes | str) -> HeartbeatEvent:
    """Parse a ``gate.heartbeats`` value, raising :class:`InvalidInputError`."""
    try:
        return HeartbeatEvent.model_validate_json(value)
    except ValidationError as exc:
        raise InvalidInputError(problems_from(exc)) from None
