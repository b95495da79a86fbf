from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from realtime.hub import Hub, Peer
from streams.channels import project_channel, project_of_channel


@dataclass(eq=False)
class FakePeer:
    """A connection that records what it was sent, with a settable send backlog."""

    backlog: int = 0
    sent: list[str] = field(default_factory=list)

    def buffered_bytes(self) -> int:
        return self.backlog


def record(peers: Iterable[Peer], message: str) -> None:
    for peer in peers:
        assert isinstance(peer, FakePeer)
        peer.sent.append(message)


def test_messages_reach_only_live_subscribers_of_the_channel() -> None:
    hub = Hub(max_buffer_bytes=1000, broadcast=record)
    a, b = FakePeer(), FakePeer()
    sub_a, sub_b = hub.subscribe("project:P1", a), hub.subscribe("project:P2", b)
    hub.go_live(sub_b)
    assert hub.publish("project:P1", "m0") == 0  # a is still getting its initial state
    assert hub.go_live(sub_a) == ["m0"]  # ...so m0 was held for it, not lost
    assert hub.publish("project:P1", "m1") == 1
    assert a.sent == ["m1"] and b.sent == []


def test_a_slow_client_is_dropped_not_waited_for() -> None:
    hub = Hub(max_buffer_bytes=1000, broadcast=record)
    slow, fast = FakePeer(), FakePeer()
    for peer in (slow, fast):
        hub.go_live(hub.subscribe("project:P1", peer))
    hub.publish("project:P1", "m1")
    slow.backlog = 5000  # it stopped reading
    assert hub.publish("project:P1", "m2") == 1
    assert slow.sent == ["m1"] and fast.sent == ["m1", "m2"]
    assert hub.client_count == 1


def test_channel_names_round_trip() -> None:
    channel = project_channel("sitepulse.", "P-1")
    assert project_of_channel("sitepulse.", channel) == "P-1"
    assert project_of_channel("other.", channel) is None
