"""Fan-out of live messages to subscribed clients, with bounded per-client queues.

A client whose queue is full is a slow consumer: it is marked dropped and told so,
rather than slowing every other dashboard down.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

DROPPED_NOTICE = (
    '{"type":"dropped","reason":"slow consumer","message_zh":"连接过慢，已断开，请刷新"}'
)


@dataclass(eq=False)
class Subscription:
    channel: str
    queue: asyncio.Queue[str]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    def __init__(self, *, queue_size: int) -> None:
        self._queue_size = queue_size
        self._by_channel: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, channel: str) -> Subscription:
        subscription = Subscription(channel, asyncio.Queue(maxsize=self._queue_size))
        self._by_channel[channel].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._by_channel.get(subscription.channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_channel[subscription.channel]

    def publish(self, channel: str, message: str) -> int:
        """Queue ``message`` for every subscriber of the channel; returns how many got it."""
        delivered = 0
        for subscription in list(self._by_channel.get(channel, ())):
            try:
                subscription.queue.put_nowait(message)
                delivered += 1
            except asyncio.QueueFull:
                subscription.dropped.set()
                self.unsubscribe(subscription)
        return delivered

    @property
    def client_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._by_channel.values())
