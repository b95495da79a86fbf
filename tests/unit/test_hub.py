from __future__ import annotations

from realtime.channels import project_channel, project_of_channel
from realtime.hub import Hub


async def test_messages_reach_only_subscribers_of_the_project() -> None:
    hub = Hub(queue_size=10)
    a, b = hub.subscribe("P1"), hub.subscribe("P2")
    assert hub.publish("P1", "m1") == 1
    assert a.queue.get_nowait() == "m1"
    assert b.queue.empty()


async def test_a_slow_client_is_dropped_not_waited_for() -> None:
    hub = Hub(queue_size=2)
    slow, fast = hub.subscribe("P1"), hub.subscribe("P1")
    for n in range(2):
        hub.publish("P1", f"m{n}")
    fast.queue.get_nowait()
    fast.queue.get_nowait()
    assert hub.publish("P1", "m2") == 1
    assert slow.dropped.is_set() and not fast.dropped.is_set()
    assert hub.client_count == 1


def test_channel_names_round_trip() -> None:
    channel = project_channel("sitepulse.", "P-1")
    assert project_of_channel("sitepulse.", channel) == "P-1"
    assert project_of_channel("other.", channel) is None
