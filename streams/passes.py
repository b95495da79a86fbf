"""Pure processing of a batch of raw ``gate.passes`` values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from infra.errors import InvalidInputError
from streams.event_time import EventTimeWindow
from streams.records import DeadLetter, PassEvent, parse_pass_event


@dataclass
class DecodedBatch:
    decoded_at: datetime  # the server time its event times were checked against
    events: list[PassEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def decode_passes(
    raw_values: Iterable[bytes | None],
    *,
    source_topic: str,
    now: datetime,
    window: EventTimeWindow,
) -> DecodedBatch:
    """Split raw values into valid events and dead letters that say what was wrong.

    A value is valid when it parses and its times lie in ``window`` (another producer
    than ingest may have written it); the window's reasons are worked out only for the
    values outside it."""
    batch = DecodedBatch(now)
    earliest, latest = window.bounds(now)
    for raw in raw_values:
        try:
            if not raw:
                raise InvalidInputError([])
            event = parse_pass_event(raw)
            if earliest <= event.occurred_at <= latest and earliest <= event.received_at <= latest:
                batch.events.append(event)
                continue
            times = [("occurred_at", event.occurred_at), ("received_at", event.received_at)]
            letter = DeadLetter.for_payload(
                source_topic,
                str(InvalidInputError(window.problems(times, now))),
                raw,
                failed_at=now,
                kind="event_time",
            )
            batch.dead_letters.append(letter)
        except InvalidInputError as exc:
            reason = str(exc) if exc.problems else "empty message"
            batch.dead_letters.append(
                DeadLetter.for_payload(source_topic, reason, raw, failed_at=now)
            )
    return batch


def unique_by_event_id(events: Iterable[PassEvent]) -> list[PassEvent]:
    """Keep the first of each event_id, in order."""
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            unique.append(event)
    return unique
