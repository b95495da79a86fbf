"""Galleries kept from registry changes, the vectorised match, and the frame decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from streams.faces.gallery import Gallery, Match
from streams.faces.pipeline import FaceReading
from streams.faces.rosters import Rosters, decode_embedding, encode_embedding
from streams.frame_matcher import pass_for_frame
from streams.frame_records import FrameEvent
from streams.records import Direction, RegistryChange, Verification

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def unit_rows(rng: np.random.Generator, count: int) -> npt.NDArray[np.float32]:
    rows = rng.normal(size=(count, 128))
    unit: npt.NDArray[np.float32] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(
        np.float32
    )
    return unit


def near(row: npt.NDArray[np.float32], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    moved = row + rng.normal(scale=0.02, size=128)
    return (moved / np.linalg.norm(moved)).astype(np.float32)


def naive_match(rows: dict[str, npt.NDArray[np.float32]], probe: Any, gallery: Gallery) -> Match:
    """The definition, written plainly: best worker, best other worker, threshold, margin."""
    best_by_worker = {worker: float(np.max(m @ probe)) for worker, m in rows.items()}
    ranked = sorted(best_by_worker.items(), key=lambda item: item[1], reverse=True)
    (owner, score), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else -1.0)
    known = score >= gallery.threshold and score - runner_up >= gallery.margin
    return Match(owner if known else None, score, runner_up)


def test_the_vectorised_match_agrees_with_the_plain_definition() -> None:
    rng = np.random.default_rng(7)
    rows = {f"W{i}": unit_rows(rng, int(rng.integers(1, 6))) for i in range(300)}
    gallery = Gallery(threshold=0.363, margin=0.05)
    gallery.load(rows)
    probes = [near(rows[f"W{i}"][0], rng) for i in range(0, 300, 7)] + list(unit_rows(rng, 20))
    for probe in probes:
        ours, plain = gallery.match(probe), naive_match(rows, probe, gallery)
        assert ours.worker_id == plain.worker_id
        assert ours.score == pytest.approx(plain.score, abs=1e-5)
        assert ours.runner_up == pytest.approx(plain.runner_up, abs=1e-5)
    # Removing a worker renumbers the others; they still match, the removed one does not.
    gallery.remove_worker("W0")
    assert gallery.match(rows["W0"][0]).worker_id is None
    assert gallery.match(rows["W299"][0]).worker_id == "W299"
    assert len(gallery.workers) == 299
    with pytest.raises(ValueError, match="at most 5"):
        gallery.replace_worker("W1", unit_rows(rng, 6))


def change(entity: str, entity_id: str, state: dict[str, Any], seq: int = 1) -> RegistryChange:
    return RegistryChange(entity=entity, entity_id=entity_id, state=state, seq=seq, changed_at=NOW)


def membership(worker: int, project: str, status: str) -> RegistryChange:
    state = {"worker_id": worker, "project_id": project, "status": status}
    return change("membership", f"{worker}@{project}", state)


def enrolment(worker: int, rows: npt.NDArray[np.float32]) -> RegistryChange:
    state = {"worker_id": worker, "embeddings": [encode_embedding(row) for row in rows]}
    return change("enrolment", str(worker), state)


def test_rosters_follow_memberships_and_enrolments_in_any_order() -> None:
    rng = np.random.default_rng(3)
    face_1, face_2 = unit_rows(rng, 1), unit_rows(rng, 1)
    assert np.array_equal(decode_embedding(encode_embedding(face_1[0])), face_1[0])
    rosters = Rosters(threshold=0.363, margin=0.05)
    rosters.apply(enrolment(1, face_1))  # enrolled before entering: matches nowhere yet
    assert not rosters.identify("P1", face_1[0]).known
    rosters.apply(membership(1, "P1", "active"))
    rosters.apply(membership(2, "P1", "active"))
    rosters.apply(membership(2, "P2", "active"))
    rosters.apply(enrolment(2, face_2))  # entered first, enrolled after
    assert rosters.identify("P1", face_1[0]).worker_id == "1"
    assert rosters.identify("P2", face_2[0]).worker_id == "2"
    assert not rosters.identify("P2", face_1[0]).known  # worker 1 is not in P2
    assert rosters.verify("P1", "1", face_1[0]) == pytest.approx(1.0)
    assert rosters.verify("P2", "1", face_1[0]) is None
    rosters.apply(membership(1, "P1", "exited"))
    assert not rosters.identify("P1", face_1[0]).known
    rosters.apply(enrolment(2, np.zeros((0, 128), np.float32)))  # enrolment removed
    assert not rosters.identify("P2", face_2[0]).known
    assert rosters.verify("P2", "2", face_2[0]) is None
    rosters.apply(change("device", "G1", {"project_id": "P1"}))  # other entities: ignored


def frame(**claim: Any) -> FrameEvent:
    return FrameEvent(
        event_id="G1:5",
        device_id="G1",
        project_id="P1",
        direction=Direction.IN,
        occurred_at=NOW,
        received_at=NOW,
        snapshot_ref="P1/2026-11-21/G1_5.jpg",
        image_jpeg="",
        **claim,
    )


def reading(embedding: npt.NDArray[np.float32] | None) -> FaceReading:
    return FaceReading(None, embedding, [])


def test_a_frame_becomes_a_known_an_unknown_or_no_pass() -> None:
    rng = np.random.default_rng(4)
    enrolled, stranger = unit_rows(rng, 2)
    rosters = Rosters(threshold=0.363, margin=0.05)
    rosters.apply(membership(1, "P1", "active"))
    rosters.apply(enrolment(1, enrolled[np.newaxis]))
    known = pass_for_frame(frame(), reading(near(enrolled, rng)), rosters, reverify=True)
    assert known is not None and known.worker_id == "1" and known.score and known.score > 0.9
    assert known.snapshot_ref == "P1/2026-11-21/G1_5.jpg" and known.event_id == "G1:5"
    unknown = pass_for_frame(frame(), reading(stranger), rosters, reverify=True)
    assert unknown is not None and unknown.worker_id is None and unknown.verification is None
    assert pass_for_frame(frame(), reading(None), rosters, reverify=True) is None


def test_a_device_claim_is_confirmed_flagged_or_unverifiable() -> None:
    rng = np.random.default_rng(5)
    enrolled, stranger = unit_rows(rng, 2)
    rosters = Rosters(threshold=0.363, margin=0.05)
    rosters.apply(membership(1, "P1", "active"))
    rosters.apply(enrolment(1, enrolled[np.newaxis]))
    claim = frame(claimed_worker_id="1", claimed_score=0.91)
    trusted = pass_for_frame(claim, None, rosters, reverify=False)
    assert trusted is not None and trusted.worker_id == "1" and trusted.score == 0.91
    assert trusted.verification is None
    confirmed = pass_for_frame(claim, reading(near(enrolled, rng)), rosters, reverify=True)
    assert confirmed is not None and confirmed.verification is Verification.CONFIRMED
    mismatch = pass_for_frame(claim, reading(stranger), rosters, reverify=True)
    assert mismatch is not None and mismatch.verification is Verification.MISMATCH
    assert mismatch.worker_id == "1"  # the gate's claim stays on record, flagged
    blurred = pass_for_frame(claim, reading(None), rosters, reverify=True)
    assert blurred is not None and blurred.verification is Verification.UNVERIFIABLE
    nobody = pass_for_frame(frame(claimed_worker_id="9"), reading(stranger), rosters, reverify=True)
    assert nobody is not None and nobody.verification is Verification.UNVERIFIABLE
