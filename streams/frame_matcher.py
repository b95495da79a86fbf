"""What the streams worker does with ``gate.frames``: read the face, decide, emit a pass.

The decision (:func:`pass_for_frame`) is pure. A frame with no claim is matched 1:N
against its project's roster and becomes a pass for the worker found or an unknown-face
pass (``worker_id`` null) with its score and snapshot. A frame whose gate matched on the
device keeps the claimed worker; with re-verification on, SitePulse checks the snapshot
against that worker's enrolment and records ``confirmed``, ``mismatch`` or
``unverifiable``. A frame without a usable face becomes no pass (the gate saw nobody it
could judge); it is counted by reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faust.types import EventT, TopicT

from infra.errors import InvalidInputError
from infra.metrics import ERRORS, EVENTS, STAGE_LATENCY, observe_delay
from streams.dead_letters import DeadLetters
from streams.event_time import EventTimeWindow
from streams.faces.pipeline import FaceEngine, FaceReading
from streams.faces.rosters import Rosters
from streams.frame_records import FrameEvent, parse_frame_event
from streams.records import PassEvent, PassMethod, Verification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unreadable:
    """A frame whose image could not be read at all (not JPEG, bad base64, ...)."""

    reason: str


def needs_reading(frame: FrameEvent, *, reverify: bool) -> bool:
    return frame.claimed_worker_id is None or reverify


def pass_for_frame(
    frame: FrameEvent, reading: FaceReading | None, rosters: Rosters, *, reverify: bool
) -> PassEvent | None:
    """The pass a frame stands for, or None when it shows no face good enough to judge."""
    worker_id: str | None
    verification: Verification | None = None
    if frame.claimed_worker_id is not None:
        worker_id, score = frame.claimed_worker_id, frame.claimed_score
        if reverify:
            checked = (
                rosters.verify(frame.project_id, worker_id, reading.embedding)
                if reading is not None and reading.embedding is not None
                else None
            )
            if checked is None:
                verification = Verification.UNVERIFIABLE
            else:
                score = checked
                passed = checked >= rosters.threshold
                verification = Verification.CONFIRMED if passed else Verification.MISMATCH
    else:
        if reading is None or reading.embedding is None:
            return None
        match = rosters.identify(frame.project_id, reading.embedding)
        worker_id, score = match.worker_id, match.score
    return PassEvent(
        event_id=frame.event_id,
        device_id=frame.device_id,
        project_id=frame.project_id,
        worker_id=worker_id,
        direction=frame.direction,
        method=PassMethod.FACE,
        occurred_at=frame.occurred_at,
        received_at=frame.received_at,
        score=None if score is None else round(score, 4),
        snapshot_ref=frame.snapshot_ref,
        verification=verification,
    )


class FrameMatcher:
    def __init__(
        self,
        engine: FaceEngine,
        rosters: Rosters,
        *,
        reverify: bool,
        passes: TopicT,
        dead_letter: TopicT,
        source_topic: str,
        window: EventTimeWindow,
        threads: int = 2,
    ) -> None:
        self._window = window
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="faces")
        self._engine = engine
        self._rosters = rosters
        self._reverify = reverify
        self._passes = passes
        self._dead_letters = DeadLetters(dead_letter)
        self._source = source_topic

    async def handle(self, events: Sequence[EventT[Any]]) -> None:
        """Match a batch of frames; a frame that cannot be judged is dead-lettered, never
        raised, so one bad value cannot stop the agent."""
        frames: list[FrameEvent] = []
        now = datetime.now(UTC)
        for item in events:
            try:
                frame = parse_frame_event(item.value or b"")
            except InvalidInputError as exc:
                await self._reject(item.value, str(exc) or "empty message", "invalid")
                continue
            times = [("occurred_at", frame.occurred_at), ("received_at", frame.received_at)]
            problems = self._window.problems(times, now)
            if problems:
                await self._reject(item.value, str(InvalidInputError(problems)), "event_time")
                continue
            frames.append(frame)
        to_read = [f for f in frames if needs_reading(f, reverify=self._reverify)]
        readings = dict(zip((id(f) for f in to_read), await self._read(to_read), strict=True))
        for frame in frames:
            reading = readings.get(id(frame))
            if isinstance(reading, Unreadable):
                await self._reject(frame.to_json(), reading.reason, "unreadable_frame")
                continue
            try:
                outcome = pass_for_frame(frame, reading, self._rosters, reverify=self._reverify)
            except Exception as exc:  # a bug or an odd value must not stop the agent
                log.exception("judging frame %s failed", frame.event_id)
                reason = f"matching failed: {type(exc).__name__}"
                await self._reject(frame.to_json(), reason, "unreadable_frame")
                continue
            if outcome is None:
                reason = reading.problems[0].code if reading and reading.problems else "no_face"
                EVENTS.labels("streams", f"frame_{reason}").inc()
                continue
            await self._passes.send(key=frame.project_id.encode(), value=outcome.to_json())
            observe_delay("matched", frame.occurred_at, datetime.now(UTC))
            kind = "known" if outcome.worker_id else "unknown"
            if outcome.verification is not None:
                kind = f"verified_{outcome.verification.value}"
            EVENTS.labels("streams", f"frame_{kind}").inc()

    async def _read(self, frames: list[FrameEvent]) -> list[FaceReading | Unreadable]:
        """Read the faces on the worker's threads, in parallel; the event loop keeps serving."""
        loop = asyncio.get_running_loop()
        return list(
            await asyncio.gather(
                *(loop.run_in_executor(self._threads, self._read_one, frame) for frame in frames)
            )
        )

    def _read_one(self, frame: FrameEvent) -> FaceReading | Unreadable:
        started = time.perf_counter()
        try:
            return self._engine.read_jpeg(frame.image_bytes())
        except Exception as exc:  # bad base64 from another producer, a broken JPEG, ...
            return Unreadable(f"image unreadable: {type(exc).__name__}: {exc}")
        finally:
            STAGE_LATENCY.labels("face_read").observe(time.perf_counter() - started)

    async def _reject(self, payload: bytes | None, reason: str, kind: str) -> None:
        ERRORS.labels("streams", "frame_dead_letter").inc()
        await self._dead_letters.send(self._source, kind, reason, payload)
