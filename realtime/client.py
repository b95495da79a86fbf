"""A dashboard-side client: subscribes to one channel with an API token, collects messages."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets


class SubscriptionRefused(Exception):
    """The server closed the connection instead of confirming the subscription."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class LiveSubscriber:
    """``async with LiveSubscriber(url, token, "project:P001") as feed:`` collects
    ``(arrival, message)`` pairs; entering raises :class:`SubscriptionRefused` if refused."""

    def __init__(
        self, url: str, token: str, channel: str, *, last_event_id: str | None = None
    ) -> None:
        self.url = url
        self.channel = channel
        self._subscribe = json.dumps(
            {
                "type": "subscribe",
                "token": token,
                "channel": channel,
                "last_event_id": last_event_id,
            }
        )
        self.received: list[tuple[float, dict[str, Any]]] = []
        self._task: asyncio.Task[None] | None = None
        self._confirmed: asyncio.Future[None] | None = None

    @classmethod
    def for_project(cls, host: str, port: int, project_id: str, token: str) -> LiveSubscriber:
        return cls(f"ws://{host}:{port}/ws", token, f"project:{project_id}")

    async def __aenter__(self) -> LiveSubscriber:
        self._confirmed = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(asyncio.shield(self._confirmed), 10)
        return self

    async def _listen(self) -> None:
        assert self._confirmed is not None
        try:
            async with websockets.connect(self.url, max_queue=None) as websocket:
                await websocket.send(self._subscribe)
                async for raw in websocket:
                    message = json.loads(raw)
                    if message.get("type") == "subscribed" and not self._confirmed.done():
                        self._confirmed.set_result(None)
                        continue
                    self.received.append((time.perf_counter(), message))
                if not self._confirmed.done():
                    refused = SubscriptionRefused(
                        websocket.close_code, websocket.close_reason or ""
                    )
                    self._confirmed.set_exception(refused)
        except websockets.ConnectionClosed as exc:
            if not self._confirmed.done():
                code, reason = (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, "")
                self._confirmed.set_exception(SubscriptionRefused(code, reason))
        except Exception as exc:
            if not self._confirmed.done():
                self._confirmed.set_exception(exc)
            raise

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for _, message in self.received]

    @property
    def passes(self) -> list[dict[str, Any]]:
        """The ``pass`` messages (presence updates and notices left out)."""
        return [message for message in self.messages if message.get("type") == "pass"]

    def event_ids(self) -> list[str]:
        return sorted(m["event"]["event_id"] for m in self.passes)
