"""A stand-in Dahua access terminal: what a real one checks and sends. It asks for HTTP
digest authentication (qop=auth, MD5) and checks the answer against its own password; an
authenticated ``GET /cgi-bin/eventManager.cgi?action=attach&codes=[AccessControl]`` gets
the endless ``multipart/x-mixed-replace`` stream: a ``Heartbeat`` part every second, and
each access record the test queues, as ``Code=AccessControl;...;data={...}``."""

from __future__ import annotations

import hashlib
import json
import queue
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REALM = "Login to 8G0123PAZ"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class DahuaStandIn:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.records: queue.Queue[dict[str, Any]] = queue.Queue()
        self.refused_logins = 0
        self.attached = 0
        self._nonce = secrets.token_hex(16)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                target = urlsplit(self.path)
                query = parse_qs(target.query)
                if target.path != "/cgi-bin/eventManager.cgi" or query.get("action") != ["attach"]:
                    self.send_error(404)
                    return
                if not standin._authorised(self.headers.get("Authorization", ""), self.path):
                    standin.refused_logins += 1
                    self.send_response(401)
                    self.send_header(
                        "WWW-Authenticate",
                        f'Digest realm="{REALM}", qop="auth", nonce="{standin._nonce}",'
                        ' opaque="5ccc069c403ebaf9f0171e9517f40e41"',
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                standin.attached += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=myboundary")
                self.send_header("Connection", "close")
                self.end_headers()
                last_beat = 0.0
                try:
                    while not standin._stopping.is_set():
                        try:
                            record = standin.records.get(timeout=0.2)
                        except queue.Empty:
                            record = None
                        if record is not None:
                            self._part(
                                "Code=AccessControl;action=Pulse;index=0;data="
                                + json.dumps(record, indent=3, ensure_ascii=False)
                            )
                        elif time.monotonic() - last_beat >= 1:
                            self._part("Heartbeat")
                            last_beat = time.monotonic()
                except OSError:
                    return  # the client went away

            def _part(self, body: str) -> None:
                data = body.encode()
                head = (
                    "--myboundary\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n"
                )
                self.wfile.write(head.encode() + data + b"\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _authorised(self, header: str, uri: str) -> bool:
        if not header.startswith("Digest "):
            return False
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest ") :]))
        if fields.get("username") != self.username or fields.get("nonce") != self._nonce:
            return False
        ha1 = _md5(f"{self.username}:{REALM}:{self.password}")
        ha2 = _md5(f"GET:{fields.get('uri', '')}")
        expected = _md5(
            f"{ha1}:{self._nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:auth:{ha2}"
        )
        return fields.get("uri") == uri and secrets.compare_digest(
            expected, fields.get("response", "")
        )

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
