"""Fan-out of live messages to the dashboards subscribed to each channel.

A message is encoded once and written straight to every subscriber's connection, the way
``websockets.broadcast()`` does, with one difference: a subscriber whose unsent bytes pass
``max_buffer_bytes`` is a slow consumer. It is marked dropped (and told so by its handler)
rather than buffered without bound or allowed to slow everyone down.

While a dashboard is being given its initial state (presence, missed passes), live
messages for it are held and sent right after, so nothing is lost or reordered.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

DROPPED_NOTICE = (
    '{"type":"dropped","reason":"slow consumer","message_zh":"连接过慢，已断开，请刷新"}'
)


class Peer(Protocol):
    """What the hub needs of a connection (websockets' ServerConnection has it)."""

    def buffered_bytes(self) -> int: ...


Broadcast = Callable[[Iterable[Peer], str], None]


@dataclass(eq=False)
class Subscription:
    channel: str
    peer: Peer
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    held: list[str] | None = field(default_factory=list)  # None once live

    @property
    def live(self) -> bool:
        return self.held is None


class Hub:
    def __init__(self, *, max_buffer_bytes: int, broadcast: Broadcast) -> None:
        self._max_buffer_bytes = max_buffer_bytes
        self._broadcast = broadcast
        self._by_channel: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, channel: str, peer: Peer) -> Subscription:
        """Start holding the channel's messages for ``peer``; :meth:`go_live` sends them."""
        subscription = Subscription(channel, peer)
        self._by_channel[channel].add(subscription)
        return subscription

    def go_live(self, subscription: Subscription) -> list[str]:
        """The messages held so far (for the caller to send first); later ones go direct."""
        held, subscription.held = subscription.held or [], None
        return held

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._by_channel.get(subscription.channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_channel[subscription.channel]

    def publish(self, channel: str, message: str) -> int:
        """Write ``message`` to every live subscriber of the channel; returns how many."""
        ready = []
        for subscription in list(self._by_channel.get(channel, ())):
            if subscription.held is not None:
                subscription.held.append(message)
            elif subscription.peer.buffered_bytes() > self._max_buffer_bytes:
                subscription.dropped.set()
                self.unsubscribe(subscription)
            else:
                ready.append(subscription.peer)
        if ready:
            self._broadcast(ready, message)
        return len(ready)

    def everyone(self) -> list[Peer]:
        return [s.peer for subscribers in self._by_channel.values() for s in subscribers if s.live]

    @property
    def client_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._by_channel.values())
