"""The calls that put people on Hikvision and Dahua terminals: what each sends, and what
counts as the terminal accepting it."""

from __future__ import annotations

import base64
import json

from ingest.vendors.person_requests import (
    Person,
    PersonRequest,
    dahua_accepted,
    dahua_add,
    hikvision_accepted,
    hikvision_add,
    hikvision_remove,
)

FACE = b"\xff\xd8\xff\xe0face\xff\xd9"


def test_a_hikvision_person_is_the_user_then_the_card_then_the_face() -> None:
    person, card, face = hikvision_add(Person(42, "张三", "3094719826", FACE))
    assert person.path.startswith("/ISAPI/AccessControl/UserInfo/SetUp")
    assert person.json_body["UserInfo"]["employeeNo"] == "42"
    assert person.json_body["UserInfo"]["name"] == "张三"
    assert card.json_body == {
        "CardInfo": {"employeeNo": "42", "cardNo": "3094719826", "cardType": "normalCard"}
    }
    assert face.files is not None and face.files["img"][1] == FACE
    assert json.loads(face.files["FaceDataRecord"][1])["FPID"] == "42"
    assert [r.what for r in hikvision_add(Person(42, "张三", None, None))] == ["person"]
    [remove] = hikvision_remove(42)
    assert remove.json_body["UserInfoDelCond"]["EmployeeNoList"] == [{"employeeNo": "42"}]


def test_a_dahua_person_is_replaced_whole() -> None:
    requests = dahua_add(Person(42, "张三", "77001234", FACE))
    assert [r.what for r in requests] == ["replace", "person", "card", "face"]
    assert "removeMulti" in requests[0].path and "UserIDList[0]=42" in requests[0].path
    face = requests[3].json_body["FaceList"][0]
    assert base64.b64decode(face["PhotoData"][0]) == FACE and face["UserID"] == "42"


def test_what_counts_as_accepted() -> None:
    ok = json.dumps({"statusCode": 1, "statusString": "OK"}).encode()
    assert hikvision_accepted(200, ok)
    assert not hikvision_accepted(200, b'{"statusCode": 6}')
    assert not hikvision_accepted(401, ok) and not hikvision_accepted(200, b"<html>")
    person = PersonRequest("POST", "/cgi-bin/AccessUser.cgi?action=insertMulti", "person")
    replace = PersonRequest("GET", "/cgi-bin/AccessUser.cgi?action=removeMulti", "replace")
    assert dahua_accepted(200, b"OK\r\n", person)
    assert not dahua_accepted(400, b"Error\r\nBad Request!\r\n", person)
    assert dahua_accepted(400, b"Error", replace)  # nobody to clear is fine
    assert not dahua_accepted(503, b"", replace)
