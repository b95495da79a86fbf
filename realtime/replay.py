"""The last pass messages of each channel, so a dashboard that reconnects can resume from
the last event it saw (pure). Older gaps get a ``resync``: reload the page's state."""

from __future__ import annotations

from collections import OrderedDict, deque


class ReplayBuffer:
    def __init__(self, *, per_channel: int = 1000, channels: int = 10_000) -> None:
        self._per_channel = per_channel
        self._max_channels = channels
        self._by_channel: OrderedDict[str, deque[tuple[str, str]]] = OrderedDict()

    def record(self, channel: str, event_id: str, message: str) -> None:
        kept = self._by_channel.get(channel)
        if kept is None:
            kept = self._by_channel[channel] = deque(maxlen=self._per_channel)
            if len(self._by_channel) > self._max_channels:
                self._by_channel.popitem(last=False)  # the channel quiet the longest
        else:
            self._by_channel.move_to_end(channel)
        kept.append((event_id, message))

    def after(self, channel: str, event_id: str) -> list[str] | None:
        """The messages since ``event_id``; None if it is no longer (or never was) kept."""
        kept = self._by_channel.get(channel, deque())
        ids = [kept_id for kept_id, _ in kept]
        if event_id not in ids:
            return None
        start = len(ids) - ids[::-1].index(event_id)
        return [message for _, message in list(kept)[start:]]
