"""Local stand-ins: a webhook (or SMS API) endpoint that records requests and fails the
first N, an SMTP server (aiosmtpd) that keeps every message, and a bank's account
verification API."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    path: str = ""


@dataclass
class WebhookReceiver:
    # The first delivery whose body mentions this text gets a 500 (the receiver is down
    # for it); deliveries of other tests' alerts, which Celery beat may send meanwhile,
    # do not use the failure up.
    fail_first_for: str = ""
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                target = receiver.fail_first_for
                status = 500 if target and target.encode() in body else 200
                if status == 500:
                    receiver.fail_first_for = ""
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(headers, body, status, self.path))
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


class Mailbox:
    """An SMTP server on a free loopback port; ``messages`` are the mails it received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        mailbox = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                mailbox.messages.append(parsed)
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class StandInBank:
    """The generic bank API's account verification, as a bank would answer it: a known
    account (any number not ending in 0000) whose name is given is valid."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def start(self) -> str:
        bank = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    asked = json.loads(body)
                except ValueError:
                    asked = None
                if self.path != "/accounts/verify" or not isinstance(asked, dict):
                    self._answer(400, {"error": "bad request"})
                    return
                bank.requests.append(asked)
                number = str(asked.get("account_number", ""))
                if not asked.get("account_name") or not number.isdigit():
                    self._answer(400, {"error": "account_number and account_name required"})
                elif number.endswith("0000"):
                    self._answer(200, {"valid": False, "reason": "账户不存在"})
                else:
                    self._answer(200, {"valid": True, "reference": f"VERIFY-{number[-6:]}"})

            def _answer(self, status: int, value: dict[str, Any]) -> None:
                data = json.dumps(value, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
