"""The calls that put a person on a terminal the platform can reach (人员下发), or take
them off, for each vendor's HTTP API: the pure part, requests built and answers judged.
The person number on the terminal is the worker id.

Hikvision ISAPI (JSON, digest auth): ``PUT /ISAPI/AccessControl/UserInfo/SetUp`` (add or
change the person), ``CardInfo/SetUp`` (the card), ``/ISAPI/Intelligent/FDLib/FDSetUp``
(the face: multipart, a ``FaceDataRecord`` JSON part and an ``img`` part), and
``UserInfo/Delete``. Each answers ``{"statusCode": 1, "statusString": "OK", ...}``.

Dahua (HTTP API, digest auth): ``AccessUser.cgi?action=removeMulti`` then
``insertMulti`` (a person is replaced whole), ``AccessCard.cgi?action=insertMulti``,
``AccessFace.cgi?action=insertMulti`` (base64 ``PhotoData``); each answers ``OK``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

#: What a person may do on the terminal: valid from/to, every door, all day.
_VALID_FROM, _VALID_TO = "2020-01-01T00:00:00", "2037-12-31T23:59:59"


#: A multipart part: (file name or None, bytes, content type).
FilePart = tuple[str | None, bytes, str]


@dataclass(frozen=True)
class PersonRequest:
    method: str
    path: str  # with its query
    what: str  # person, card, face, remove, replace: named in a failure
    json_body: Any = None
    files: dict[str, FilePart] | None = None


@dataclass(frozen=True)
class Person:
    worker_id: int
    name: str
    card_number: str | None
    face_jpeg: bytes | None


def _json(method: str, path: str, value: Any, what: str) -> PersonRequest:
    return PersonRequest(method, path, what, json_body=value)


def hikvision_add(person: Person) -> list[PersonRequest]:
    number = str(person.worker_id)
    requests = [
        _json(
            "PUT",
            "/ISAPI/AccessControl/UserInfo/SetUp?format=json",
            {
                "UserInfo": {
                    "employeeNo": number,
                    "name": person.name[:32],
                    "userType": "normal",
                    "Valid": {
                        "enable": True,
                        "beginTime": _VALID_FROM,
                        "endTime": _VALID_TO,
                        "timeType": "local",
                    },
                    "doorRight": "1",
                    "RightPlan": [{"doorNo": 1, "planTemplateNo": "1"}],
                }
            },
            "person",
        )
    ]
    if person.card_number:
        requests.append(
            _json(
                "PUT",
                "/ISAPI/AccessControl/CardInfo/SetUp?format=json",
                {
                    "CardInfo": {
                        "employeeNo": number,
                        "cardNo": person.card_number,
                        "cardType": "normalCard",
                    }
                },
                "card",
            )
        )
    if person.face_jpeg is not None:
        record = json.dumps({"faceLibType": "blackFD", "FDID": "1", "FPID": number}).encode()
        files: dict[str, FilePart] = {
            "FaceDataRecord": (None, record, "application/json"),
            "img": ("face.jpg", person.face_jpeg, "image/jpeg"),
        }
        path = "/ISAPI/Intelligent/FDLib/FDSetUp?format=json"
        requests.append(PersonRequest("PUT", path, "face", files=files))
    return requests


def hikvision_remove(worker_id: int) -> list[PersonRequest]:
    condition = {"UserInfoDelCond": {"EmployeeNoList": [{"employeeNo": str(worker_id)}]}}
    return [_json("PUT", "/ISAPI/AccessControl/UserInfo/Delete?format=json", condition, "remove")]


def hikvision_accepted(status: int, body: bytes) -> bool:
    """ISAPI's success: HTTP 200 and ``statusCode`` 1 (0 on some firmware)."""
    if status != 200:
        return False
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("statusCode") in (0, 1)


def dahua_add(person: Person) -> list[PersonRequest]:
    number = str(person.worker_id)
    user = {
        "UserID": number,
        "UserName": person.name[:32],
        "UserType": 0,
        "Authority": 2,
        "Doors": [0],
        "TimeSections": [255],
        "ValidFrom": _VALID_FROM.replace("T", " "),
        "ValidTo": _VALID_TO.replace("T", " "),
    }
    requests = [
        *dahua_remove(person.worker_id, what="replace"),
        _json("POST", "/cgi-bin/AccessUser.cgi?action=insertMulti", {"UserList": [user]}, "person"),
    ]
    if person.card_number:
        card = {"UserID": number, "CardNo": person.card_number, "CardType": 0, "CardStatus": 0}
        requests.append(
            _json(
                "POST", "/cgi-bin/AccessCard.cgi?action=insertMulti", {"CardList": [card]}, "card"
            )
        )
    if person.face_jpeg is not None:
        face = {"UserID": number, "PhotoData": [base64.b64encode(person.face_jpeg).decode()]}
        requests.append(
            _json(
                "POST", "/cgi-bin/AccessFace.cgi?action=insertMulti", {"FaceList": [face]}, "face"
            )
        )
    return requests


def dahua_remove(worker_id: int, *, what: str = "remove") -> list[PersonRequest]:
    path = f"/cgi-bin/AccessUser.cgi?action=removeMulti&UserIDList[0]={worker_id}"
    return [PersonRequest("GET", path, what)]


def dahua_accepted(status: int, body: bytes, request: PersonRequest) -> bool:
    """Dahua's success: HTTP 200 and ``OK``. Clearing a person before adding them again
    succeeds whatever the terminal says (it may not have held them)."""
    if request.what == "replace":
        return status < 500
    return status == 200 and body.strip().upper().startswith(b"OK")
