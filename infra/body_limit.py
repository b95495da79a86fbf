"""Refuses request bodies past a size limit with 413, before the app reads them.

A pure ASGI middleware: a ``Content-Length`` over the limit is refused at once; a body
sent without one (chunked) is read up to the limit and refused as soon as it passes it.
Nothing reads an unbounded body, not even before authentication.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.asgi_reply import send_error

LimitFor = Callable[[str], int]


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(
                    send, 400, "bad_request", "Content-Length is not a number", "请求头不正确"
                )
                return
            if int(declared) > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No length given: read it here, within the limit, and hand it on whole.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    reason = f"the request body is larger than {limit} bytes"
    await send_error(send, 413, "payload_too_large", reason, "请求体过大", field="body")
