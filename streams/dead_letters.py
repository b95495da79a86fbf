"""Sends what cannot be processed to the ``deadletter`` topic, with its reason, and counts it.

``kind`` is a short, fixed word for the metric (``invalid``, ``event_time``,
``store_refused``, ``unreadable_frame``, ``registry``); ``reason`` is the full story.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from infra.metrics import DEAD_LETTERS
from streams.records import DeadLetter

log = logging.getLogger(__name__)


class LetterTopic(Protocol):
    """Where letters go: the ``deadletter`` Faust topic, or a pipe to the worker that
    owns it (:mod:`streams.role_process`)."""

    async def send(self, *, key: bytes, value: bytes) -> Any: ...


class DeadLetters:
    def __init__(self, topic: LetterTopic, *, service: str = "streams") -> None:
        self._topic = topic
        self._service = service

    async def send(self, source_topic: str, kind: str, reason: str, payload: bytes | None) -> None:
        letter = DeadLetter.for_payload(
            source_topic, reason, payload, kind=kind, failed_at=datetime.now(UTC)
        )
        log.warning("dead-lettering a %s value (%s): %s", source_topic, kind, reason)
        DEAD_LETTERS.labels(self._service, kind).inc()
        await self._topic.send(key=source_topic.encode(), value=letter.to_json())

    async def send_letter(self, letter: DeadLetter) -> None:
        log.warning(
            "dead-lettering a %s value (%s): %s", letter.source_topic, letter.kind, letter.reason
        )
        DEAD_LETTERS.labels(self._service, letter.kind).inc()
        await self._topic.send(key=letter.source_topic.encode(), value=letter.to_json())
