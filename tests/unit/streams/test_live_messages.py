"""The live channels' messages are typed on the floor: what producers write, the realtime
service and the alert evaluation read back, and anything else is refused without raising."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.live_messages import (
    AlertMessage,
    NotificationMessage,
    PassMessage,
    PresenceMessage,
    alert_text,
    parse_live,
    pass_message,
    to_text,
)
from streams.records import Direction, PassEvent, PassMethod

NOW = datetime(2026, 11, 21, 8, tzinfo=UTC)


def test_each_message_reads_back_as_what_was_written() -> None:
    event = PassEvent(
        event_id="G1:7",
        device_id="G1",
        project_id="P1",
        worker_id="12",
        direction=Direction.IN,
        method=PassMethod.FACE,
        occurred_at=NOW,
        received_at=NOW,
        score=0.9,
    )
    passed = parse_live(pass_message(event))
    assert isinstance(passed, PassMessage) and passed.event == event

    presence = PresenceMessage(project_id="P1", headcount=2, by_team={"3": 2}, workers=["1", "2"])
    assert parse_live(to_text(presence)) == presence

    payload = {"alert_id": 5, "project_id": "P1", "subject": "worker:12@P1", "window": "2026-10"}
    payload["evidence"] = {"d": 3}
    alert = parse_live(alert_text(payload))
    assert isinstance(alert, AlertMessage) and alert.alert.subject == "worker:12@P1"
    assert alert.alert.evidence == {"d": 3}
    assert alert.alert.model_extra == {"window": "2026-10"}  # the rest travels along

    note = NotificationMessage(alert_id=5, title_zh="新告警", project_id="P1")
    assert parse_live(to_text(note)) == note


@pytest.mark.parametrize(
    "data",
    [b"", b"{not json", b"[]", b'{"type": "gossip"}', b'{"type": "presence"}', b'{"type": 1}'],
)
def test_anything_else_is_none_not_an_exception(data: bytes) -> None:
    assert parse_live(data) is None
