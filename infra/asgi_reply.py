"""A JSON error sent straight from an ASGI middleware, before any app has the request."""

from __future__ import annotations

import json

from starlette.types import Send


async def send_error(
    send: Send, status: int, error: str, reason: str, message_zh: str, *, field: str = ""
) -> None:
    """``{"error", "reason", "message_zh"}`` with ``status``, as every endpoint answers;
    with ``field`` also the ``problems`` list that validation errors carry."""
    reply: dict[str, object] = {"error": error, "reason": reason, "message_zh": message_zh}
    if field:
        reply["problems"] = [{"field": field, "reason": reason, "message_zh": message_zh}]
    body = json.dumps(reply, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
