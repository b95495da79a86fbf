"""Both pass roles in one process: each batch decoded once and handed to both, its
receipt released only once both have written it, and the worker's requests going to the
role that takes them."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import Settings
from streams.batched_writes import Receipt
from streams.child_roles import RolesTogether
from streams.passes import DecodedBatch
from tests.passes import pass_event


class Role:
    """A role that holds each batch's receipt until told it wrote the batch."""

    def __init__(self, requests: frozenset[str] = frozenset(), ready: str | None = None):
        self.requests = requests
        self.batches: list[DecodedBatch] = []
        self.receipts: list[Receipt] = []
        self.requested: list[tuple[Any, ...]] = []
        self._ready = ready

    async def start(self) -> None: ...

    async def handle(self, batch: DecodedBatch, receipt: Receipt) -> None:
        self.batches.append(batch)
        self.receipts.append(receipt)

    async def flush(self) -> None: ...

    async def tick(self) -> None: ...

    def control(self, request: tuple[Any, ...]) -> None:
        self.requested.append(request)

    def readiness(self) -> str | None:
        return self._ready

    async def close(self) -> None: ...


class Acks:
    def __init__(self) -> None:
        self.count = 0

    def ack(self) -> None:
        self.count += 1


def a_pass(serial: int) -> bytes:
    return pass_event("P1", serial).to_json()


async def test_a_batch_is_decoded_once_and_released_once_both_roles_wrote_it() -> None:
    passes, attendance = Role(), Role(frozenset({"assigned", "revoked"}))
    together = RolesTogether([passes, attendance], Settings())
    receipt = Acks()
    await together.handle([a_pass(1), b"not json", a_pass(2)], receipt)
    [seen_by_passes], [seen_by_attendance] = passes.batches, attendance.batches
    assert seen_by_passes is seen_by_attendance  # one decode for both
    assert [event.event_id for event in seen_by_passes.events] == ["P1-G1:1", "P1-G1:2"]
    assert [letter.payload for letter in seen_by_passes.dead_letters] == ["not json"]
    passes.receipts[0].ack()
    assert receipt.count == 0  # the attendance role has not written it yet
    attendance.receipts[0].ack()
    assert receipt.count == 1


async def test_one_role_gets_the_receipt_itself() -> None:
    passes = Role()
    receipt = Acks()
    await RolesTogether([passes], Settings()).handle([a_pass(1)], receipt)
    passes.receipts[0].ack()
    assert receipt.count == 1


def test_requests_go_to_the_role_that_takes_them_and_others_are_refused() -> None:
    passes, attendance = Role(), Role(frozenset({"assigned", "revoked"}))
    together = RolesTogether([passes, attendance], Settings())
    together.control(("assigned", [0, 1], 12))
    assert attendance.requested == [("assigned", [0, 1], 12)] and passes.requested == []
    with pytest.raises(ValueError, match="takes 'resize'"):
        together.control(("resize", 3))
    with pytest.raises(ValueError, match="takes 'assigned'"):
        RolesTogether([passes], Settings()).control(("assigned", [0], 12))


def test_readiness_is_the_first_role_not_ready() -> None:
    ready, loading = Role(), Role(ready="loading recent attendance (1 of 3 projects)")
    assert RolesTogether([ready, loading], Settings()).readiness() == loading.readiness()
    assert RolesTogether([ready], Settings()).readiness() is None


def test_an_unknown_role_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="faces"):
        RolesTogether.named(["passes", "faces"], Settings(), dead_letters=None)  # type: ignore[arg-type]
