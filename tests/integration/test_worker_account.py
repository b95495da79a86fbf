"""The worker's account in the app through the real servers: a phone bound with a code
sent through the SMS gateway (then the phone logs in); face login and forgot-password by
face, refused alike for another face and an unknown account; the user agreement once."""

from __future__ import annotations

import json
import random
import re

import httpx

from .helpers import wait_until
from .people import Site, auth, enrolled_phone_user, login, worker_with_password
from .receiver import WebhookReceiver
from .test_faces_end_to_end import b64, photo
from .test_workers import new_id_number

LIVE = [b64(photo("obama2.jpg")), b64(photo("obama3.jpg"))]
NOT_MATCHED = "刷脸核验未通过"


def new_phone() -> str:
    return f"139{random.randrange(10**8):08d}"


async def code_sent_to(sms_gateway: WebhookReceiver, phone: str) -> str:
    """The six digits of the latest SMS the gateway received for this phone."""
    texts: list[str] = []

    def arrived() -> bool:
        texts[:] = [
            json.loads(r.body)["text"] for r in sms_gateway.requests if phone.encode() in r.body
        ]
        return bool(texts)

    await wait_until(arrived, 10)
    found = re.search(r"验证码(\d{6})", texts[-1])
    assert found, texts[-1]
    return found.group(1)


async def test_a_phone_bound_with_an_sms_code_then_logs_in(
    http: httpx.AsyncClient, site: Site, sms_gateway: WebhookReceiver
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    me, phone = auth(worker.token), new_phone()
    assert (await http.get("/v1/me/phone", headers=me)).json()["phone_masked"] is None

    bad = await http.post("/v1/me/phone/code", json={"phone": "12345"}, headers=me)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "phone"
    sent = await http.post("/v1/me/phone/code", json={"phone": phone}, headers=me)
    assert sent.status_code == 202, sent.text
    assert sent.json()["sent_to"] == f"{phone[:3]}****{phone[-4:]}"
    code = await code_sent_to(sms_gateway, phone)
    again = await http.post("/v1/me/phone/code", json={"phone": phone}, headers=me)
    assert again.status_code == 429 and "1分钟" in again.json()["message_zh"]

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = await http.put("/v1/me/phone", json={"phone": phone, "code": wrong}, headers=me)
    assert refused.status_code == 422 and "验证码错误" in refused.text
    other = new_phone()
    elsewhere = await http.put("/v1/me/phone", json={"phone": other, "code": code}, headers=me)
    assert elsewhere.status_code == 422  # the code was sent to another number
    bound = await http.put("/v1/me/phone", json={"phone": phone, "code": code}, headers=me)
    assert bound.status_code == 200, bound.text
    assert bound.json()["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    used = await http.put("/v1/me/phone", json={"phone": phone, "code": code}, headers=me)
    assert used.status_code == 422 and "已失效" in used.text

    # The phone logs in, with the password or the face; another worker cannot take it.
    by_phone = await login(http, phone, worker.password)
    assert by_phone.status_code == 200, by_phone.text
    assert (
        await http.get("/v1/me/phone", headers=auth(by_phone.json()["token"]))
    ).status_code == 200
    by_face = await http.post("/v1/auth/face-login", json={"login": phone, "selfie_jpegs": LIVE})
    assert by_face.status_code == 200, by_face.text
    _, rival, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    taken = await http.post("/v1/me/phone/code", json={"phone": phone}, headers=auth(rival))
    assert taken.status_code == 409 and taken.json()["message_zh"] == "该手机号已被其他账号绑定"
    staff = await http.get("/v1/me/phone", headers=officer)
    assert staff.status_code == 403
    # The gateway was called as its API asks: the key as a bearer token.
    texted = [r for r in sms_gateway.requests if phone.encode() in r.body]
    assert texted and all(r.headers["authorization"] == "Bearer sms-test-key" for r in texted)


async def test_face_login_and_a_forgotten_password_reset_by_face(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())

    face = await http.post(
        "/v1/auth/face-login", json={"login": worker.id_number, "selfie_jpegs": LIVE}
    )
    assert face.status_code == 200 and face.json()["role"] == "worker", face.text
    mine = await http.get("/v1/me/notices", headers=auth(face.json()["token"]))
    assert mine.status_code == 200

    # Another face, and an account that does not exist, get the same answer.
    biden = [b64(photo("biden.jpg")), b64(photo("obama3.jpg"))]
    other = await http.post(
        "/v1/auth/face-login", json={"login": worker.id_number, "selfie_jpegs": biden}
    )
    nobody = await http.post(
        "/v1/auth/face-login", json={"login": new_id_number(), "selfie_jpegs": LIVE}
    )
    assert other.status_code == nobody.status_code == 401
    assert NOT_MATCHED in other.json()["message_zh"] == nobody.json()["message_zh"]
    # A still picture is refused for what it is, before any account is looked at.
    still = await http.post(
        "/v1/auth/face-login",
        json={"login": new_id_number(), "selfie_jpegs": [LIVE[0], LIVE[0]]},
    )
    assert still.status_code == 422 and still.json()["problems"][0]["field"] == "selfie_jpegs"

    # Forgot the password: a weak one is refused first; then the face sets a new one, and
    # the tokens issued before end.
    reset = "/v1/auth/password-reset"
    weak = await http.post(
        reset, json={"login": worker.id_number, "selfie_jpegs": LIVE, "new_password": "short"}
    )
    assert weak.status_code == 422 and weak.json()["problems"][0]["field"] == "new_password"
    done = await http.post(
        reset, json={"login": worker.id_number, "selfie_jpegs": LIVE, "new_password": "xinmima2027"}
    )
    assert done.status_code == 200, done.text
    assert (await http.get("/v1/me/notices", headers=auth(worker.token))).status_code == 401
    assert (await login(http, worker.id_number, worker.password)).status_code == 401
    assert (await login(http, worker.id_number, "xinmima2027")).status_code == 200


async def test_the_user_agreement_is_accepted_once_per_version(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    _, token, _ = await worker_with_password(http, officer, site.project_a, new_id_number())
    me = auth(token)
    terms = (await http.get("/v1/me/agreement", headers=me)).json()
    first = terms["accepted_at"]
    assert first is not None and "身份证号" in terms["text_zh"]  # accepted by the helper
    again = await http.post("/v1/me/agreement", json={"version": terms["version"]}, headers=me)
    assert again.json()["accepted_at"] == first  # the first acceptance is what counts
    stale = await http.post("/v1/me/agreement", json={"version": "2020-01"}, headers=me)
    assert stale.status_code == 409 and "已更新" in stale.json()["message_zh"]
