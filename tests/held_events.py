"""Faust events as an agent holds them, for code that must keep their offsets from being
committed: each message counts its references, Faust's own included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from faust.types import EventT


class Message:
    def __init__(self) -> None:
        self.refs = 1  # Faust's own reference, released when the agent's loop body returns

    def incref(self) -> None:
        self.refs += 1


class Event:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.message = Message()

    def ack(self) -> None:
        self.message.refs -= 1


def as_batch(events: Sequence[Event]) -> list[EventT[Any]]:
    return cast("list[EventT[Any]]", list(events))


def held(events: Sequence[Event]) -> list[EventT[Any]]:
    """As an agent hands a batch on: each message with one reference more, which the
    batch's write releases."""
    for event in events:
        event.message.incref()
    return as_batch(events)


def refs(events: Sequence[EventT[Any]] | Sequence[Event]) -> list[int]:
    return [cast("Event", event).message.refs for event in events]
