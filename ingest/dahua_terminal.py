"""A simulated Dahua access terminal, for ``sitepulse simulate --protocol dahua`` and the
tests: what a real one checks and sends. Every request must
pass HTTP digest authentication against its own password. An authenticated
``GET /cgi-bin/eventManager.cgi?action=attach&codes=[AccessControl]`` gets the endless
``multipart/x-mixed-replace`` stream: a ``Heartbeat`` part every second, and each access
record the test queues, as ``Code=AccessControl;...;data={...}``. ``magicBox.cgi`` tells
its firmware. The person calls (``AccessUser``/``AccessCard``/``AccessFace.cgi``) keep
its people, refusing what a real one refuses: a duplicate user, a card or face for
nobody, a face that is not a JPEG."""

from __future__ import annotations

import base64
import json
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from ingest.digest_auth import DigestChecker

REALM = "Login to 8G0123PAZ"
FIRMWARE = "2.800.0000000.6.R,build:2022-05-11"


class DahuaTerminal:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.records: queue.Queue[dict[str, Any]] = queue.Queue()
        self.refused_logins = 0
        self.attached = 0
        self.people: dict[str, dict[str, Any]] = {}  # UserID -> user, cards, face
        self._digest = DigestChecker(REALM, username, password)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if not self._signed_in("GET"):
                    return
                target = urlsplit(self.path)
                query = parse_qs(target.query)
                if target.path == "/cgi-bin/magicBox.cgi":
                    self._answer(200, f"version={FIRMWARE}\r\n")
                elif target.path == "/cgi-bin/AccessUser.cgi" and query.get("action") == [
                    "removeMulti"
                ]:
                    for user_id in query.get("UserIDList[0]", []):
                        standin.people.pop(user_id, None)
                    self._answer(200, "OK\r\n")
                elif target.path == "/cgi-bin/eventManager.cgi" and query.get("action") == [
                    "attach"
                ]:
                    self._stream()
                else:
                    self._answer(400, "Error\r\nBad Request!\r\n")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not self._signed_in("POST"):
                    return
                target = urlsplit(self.path)
                try:
                    value = json.loads(body)
                    ok = standin._person_call(target.path, parse_qs(target.query), value)
                except (ValueError, KeyError, TypeError):
                    ok = False
                self._answer(200 if ok else 400, "OK\r\n" if ok else "Error\r\nBad Request!\r\n")

            def _signed_in(self, method: str) -> bool:
                header = self.headers.get("Authorization", "")
                if standin._digest.authorised(method, self.path, header):
                    return True
                standin.refused_logins += 1
                self.send_response(401)
                self.send_header("WWW-Authenticate", standin._digest.challenge())
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def _answer(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self) -> None:
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

    def _person_call(self, path: str, query: dict[str, list[str]], value: Any) -> bool:
        if query.get("action") != ["insertMulti"]:
            return False
        if path == "/cgi-bin/AccessUser.cgi":
            users = value["UserList"]
            if any(str(u["UserID"]) in self.people or not u["UserName"] for u in users):
                return False  # a user that exists must be removed first
            for user in users:
                self.people[str(user["UserID"])] = {"user": user, "cards": [], "face": None}
            return True
        if path == "/cgi-bin/AccessCard.cgi":
            cards = value["CardList"]
            if any(str(c["UserID"]) not in self.people for c in cards):
                return False
            for card in cards:
                self.people[str(card["UserID"])]["cards"].append(str(card["CardNo"]))
            return True
        if path == "/cgi-bin/AccessFace.cgi":
            faces = value["FaceList"]
            for face in faces:
                photo = base64.b64decode(face["PhotoData"][0], validate=True)
                if str(face["UserID"]) not in self.people or not photo.startswith(b"\xff\xd8"):
                    return False
                self.people[str(face["UserID"])]["face"] = photo
            return True
        return False

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def access_record(item: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A SitePulse device item as the terminal's access record: ``UTC`` is its local wall
    clock written as epoch seconds (as most firmware does); no worker is a refused face."""
    local = datetime.fromisoformat(str(item["occurred_at"])).astimezone(zone)
    wall = local.replace(tzinfo=UTC)
    worker = item.get("worker_id")
    return {
        "RecNo": int(item["serial"]) % 2**31,
        "UTC": int(wall.timestamp()),
        "UserID": str(worker or ""),
        "Method": 15 if item.get("method", "face") == "face" else 1,
        "Status": 1 if worker else 0,
        "ErrorCode": 0 if worker else 16,
        "Type": "Exit" if item.get("direction") == "out" else "Entry",
        "CardNo": "",
        "Door": 0,
    }
