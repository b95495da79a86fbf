"""A dashboard-side client: subscribes to one project's live feed and collects messages."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets


class LiveSubscriber:
    """``async with LiveSubscriber(url) as feed:`` collects ``(arrival, message)`` pairs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[tuple[float, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @classmethod
    def for_project(cls, host: str, port: int, project_id: str) -> LiveSubscriber:
        return cls(f"ws://{host}:{port}/ws?project={project_id}")

    async def __aenter__(self) -> LiveSubscriber:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._connected.wait(), 10)
        return self

    async def _listen(self) -> None:
        async with websockets.connect(self.url, max_queue=None) as websocket:
            self._connected.set()
            async for raw in websocket:
                self.received.append((time.perf_counter(), json.loads(raw)))

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for _, message in self.received]

    @property
    def passes(self) -> list[dict[str, Any]]:
        """The ``pass`` messages (presence updates and notices left out)."""
        return [message for message in self.messages if message.get("type") == "pass"]

    def event_ids(self) -> list[str]:
        return sorted(m["event"]["event_id"] for m in self.passes)
