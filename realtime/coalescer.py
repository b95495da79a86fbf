"""Counters coalesced per channel: only the newest presence of each project is sent, at most
``1 / interval_s`` times a second, however many updates arrive (pure)."""

from __future__ import annotations


class Coalescer:
    def __init__(self, *, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self._pending: dict[tuple[str, str], str] = {}

    def add(self, channel: str, key: str, message: str) -> None:
        self._pending[(channel, key)] = message

    def take(self) -> list[tuple[str, str]]:
        """(channel, message) pairs to send now, newest per key."""
        pending, self._pending = self._pending, {}
        return [(channel, message) for (channel, _), message in pending.items()]
