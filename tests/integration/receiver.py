"""A local webhook receiver for the alert tests: records requests, fails the first N."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class WebhookReceiver:
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = 500 if receiver.fail_first > 0 else 200
                receiver.fail_first = max(0, receiver.fail_first - 1)
                receiver.requests.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body, status)
                )
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/sitepulse"

    def stop(self) -> None:
        self._server.shutdown()
