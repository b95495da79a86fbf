"""A stand-in Hikvision face terminal's ISAPI person management, as a real one checks it:
digest authentication on every call, JSON bodies of the documented shape
(``UserInfo``/``CardInfo``/``UserInfoDelCond``), a face as multipart with a
``FaceDataRecord`` part naming an existing person and a JPEG ``img`` part. It answers the
ISAPI status object; it can be started late, to stand for a terminal that was offline."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ingest.digest_auth import DigestChecker
from ingest.vendors.form_parts import FormError, form_parts

OK = {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}
BAD = {"statusCode": 6, "statusString": "Invalid Content", "subStatusCode": "badJsonContent"}


class HikvisionStandIn:
    def __init__(self, username: str, password: str) -> None:
        self.people: dict[str, dict[str, Any]] = {}  # employeeNo -> name, cards, face
        self.refused_logins = 0
        self.password = password
        self._digest = DigestChecker("DS-K1T671M", username, password)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._server: ThreadingHTTPServer | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                header = self.headers.get("Authorization", "")
                if not standin._digest.authorised("PUT", self.path, header):
                    standin.refused_logins += 1
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", standin._digest.challenge())
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = urlsplit(self.path)
                try:
                    ok = standin._call(target.path, self.headers.get("Content-Type", ""), body)
                except (ValueError, KeyError, TypeError, FormError):
                    ok = False
                data = json.dumps(OK if ok else BAD).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _call(self, path: str, content_type: str, body: bytes) -> bool:
        if path == "/ISAPI/Intelligent/FDLib/FDSetUp":
            parts = {part.name: part for part in form_parts(content_type, body)}
            record = json.loads(parts["FaceDataRecord"].data)
            picture = parts["img"].data
            person = self.people.get(str(record["FPID"]))
            if person is None or record["faceLibType"] != "blackFD":
                return False
            if not picture.startswith(b"\xff\xd8") or len(picture) > 200 * 1024:
                return False
            person["face"] = picture
            return True
        value = json.loads(body)
        if path == "/ISAPI/AccessControl/UserInfo/SetUp":
            info = value["UserInfo"]
            number, name = str(info["employeeNo"]), str(info["name"])
            if not number or len(number) > 32 or not name or not info["Valid"]["enable"]:
                return False
            kept = self.people.setdefault(number, {"cards": [], "face": None})
            kept["name"] = name
            return True
        if path == "/ISAPI/AccessControl/CardInfo/SetUp":
            card = value["CardInfo"]
            person = self.people.get(str(card["employeeNo"]))
            if person is None or card["cardType"] != "normalCard":
                return False
            person["cards"] = [str(card["cardNo"])]
            return True
        if path == "/ISAPI/AccessControl/UserInfo/Delete":
            for item in value["UserInfoDelCond"]["EmployeeNoList"]:
                self.people.pop(str(item["employeeNo"]), None)
            return True
        return False

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
