"""The typed messages of the live channels (the floor): what streams, alerts and the
realtime service put on a project's Redis channel, and what dashboards receive.

Producers build them here and serialise them with :func:`to_text`; the realtime service
and the alert evaluation read them back with :func:`parse_live`, which is total: a message
that is not one of these gives None, never an exception.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from streams.records import PassEvent


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class PassMessage(_Message):
    """One pass through a gate (known worker, unknown face, or a card)."""

    type: Literal["pass"] = "pass"
    event: PassEvent


class PresenceMessage(_Message):
    """Who is on a project's site now; ``by_team`` is keyed by team id."""

    type: Literal["presence"] = "presence"
    project_id: str
    headcount: int
    by_team: dict[str, int] = Field(default_factory=dict)
    by_trade: dict[str, int] = Field(default_factory=dict)
    workers: list[str] = Field(default_factory=list)
    since: dict[str, str] = Field(default_factory=dict)  # worker -> ISO time of entry
    at: str = ""


class AlertPayload(BaseModel):
    """An alert transition as notifications carry it; further fields are kept as they are."""

    model_config = ConfigDict(frozen=True, extra="allow")

    alert_id: int
    project_id: str
    subject: str = ""
    transition: str = ""
    title_zh: str = ""
    evidence: dict[str, Any] = {}


class AlertMessage(_Message):
    type: Literal["alert"] = "alert"
    alert: AlertPayload


class NotificationMessage(_Message):
    """An alert about a worker, on that worker's own channel."""

    type: Literal["notification"] = "notification"
    alert_id: int
    title_zh: str
    project_id: str


class PayMessage(_Message):
    """A worker's pay was sent to the bank, paid or failed: for that worker's channel only."""

    type: Literal["pay"] = "pay"
    worker_id: int
    project_id: str
    sheet_id: int
    line_id: int
    status: Literal["sent", "paid", "failed"]
    amount: str
    month: str
    title_zh: str


LiveMessage = Annotated[
    PassMessage | PresenceMessage | AlertMessage | NotificationMessage | PayMessage,
    Field(discriminator="type"),
]
_LIVE: TypeAdapter[LiveMessage] = TypeAdapter(LiveMessage)


def to_text(message: _Message) -> str:
    """The compact JSON text of a message (Chinese kept readable)."""
    return json.dumps(message.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def pass_message(event: PassEvent) -> str:
    """The text of a :class:`PassMessage`, built directly (this is the hot path): pydantic's
    own JSON of the event, Chinese kept readable, in the envelope."""
    return f'{{"type":"pass","event":{event.model_dump_json()}}}'


def parse_live(data: str | bytes) -> LiveMessage | None:
    """The message in ``data``, or None when it is not a live message."""
    try:
        return _LIVE.validate_json(data)
    except ValidationError:
        return None


def alert_text(payload: dict[str, Any]) -> str:
    """An alert transition's live message, from the payload notifications carry."""
    return json.dumps(
        {"type": "alert", "alert": payload}, ensure_ascii=False, default=str, separators=(",", ":")
    )
