"""Face login, forgot-password by face, phone binding and an entry invitation on a phone in
Chromium, the camera fed from a golden face: the worker resets a forgotten password with
their face, logs in by face, binds a phone with the code the SMS gateway received, and
joins a project that invited them."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from infra.settings import Settings

from .chromium import text_of, until
from .people import Site, auth, enrolled_phone_user, login
from .receiver import WebhookReceiver
from .test_clock_in_in_chromium import phone
from .test_worker_account import code_sent_to, new_phone
from .test_worker_app_in_chromium import fill
from .test_workers import new_id_number

__all__ = ["phone"]  # the module's fixture: a phone whose camera films a golden face


async def test_password_reset_and_login_by_face_a_phone_bound_and_an_invitation_taken(
    stack: Settings, http: httpx.AsyncClient, site: Site, phone: WebDriver,
    sms_gateway: WebhookReceiver,
) -> None:  # fmt: skip
    officer = auth(site.tokens["officer_a"])
    worker = await enrolled_phone_user(http, officer, site.project_a, new_id_number())
    invited = await http.post(
        f"/v1/projects/{site.project_b}/invitations",
        json={"id_number": worker.id_number},
        headers=auth(site.tokens["officer_b"]),
    )
    assert invited.status_code == 201, invited.text

    phone.get(f"http://{stack.bind_host}:{stack.realtime_port}/")
    phone.execute_script("sessionStorage.clear()")
    fill(phone, "account", worker.id_number)
    phone.find_element(By.ID, "forgot").click()
    await until(phone, lambda b: b.find_element(By.ID, "reset").is_displayed())
    fill(phone, "reset-password", "xinmima2027")
    fill(phone, "reset-repeat", "xinmima2027")
    phone.find_element(By.ID, "reset-submit").click()
    await until(phone, lambda b: "worker.html" in b.current_url, 30)
    await until(phone, lambda b: text_of(b, "status") == "已连接")
    assert (await login(http, worker.id_number, "xinmima2027")).status_code == 200

    phone.find_element(By.LINK_TEXT, "退出登录").click()
    await until(phone, lambda b: b.find_elements(By.ID, "face-login"))
    fill(phone, "account", worker.id_number)
    phone.find_element(By.ID, "face-login").click()
    await until(phone, lambda b: "worker.html" in b.current_url, 30)
    await until(phone, lambda b: text_of(b, "status") == "已连接")

    number = new_phone()
    fill(phone, "phone", number)
    phone.find_element(By.ID, "send-code").click()
    await until(phone, lambda b: "验证码已发送" in text_of(b, "phone-result"))
    fill(phone, "code", await code_sent_to(sms_gateway, number))
    phone.find_element(By.ID, "bind-submit").click()
    await until(phone, lambda b: text_of(b, "phone-result") == "手机号绑定成功")
    assert text_of(phone, "phone-bound") == f"{number[:3]}****{number[-4:]}"

    # The entry invitation: joining needs the data authorised, then the live face.
    invitation = phone.find_element(By.CSS_SELECTOR, "li.invitation")
    assert f"项目{site.project_b}" in invitation.text and "待确认" in invitation.text
    invitation.find_element(By.CSS_SELECTOR, "button.join").click()
    await until(phone, lambda b: "须同意授权" in text_of(b, "invitation-result"))
    phone.find_element(By.CSS_SELECTOR, "li.invitation input.authorize").click()
    phone.find_element(By.CSS_SELECTOR, "li.invitation button.join").click()
    await until(
        phone, lambda b: text_of(b, "invitation-result") == f"已加入项目 项目{site.project_b}", 30
    )
    await until(phone, lambda b: "已加入" in text_of(b, "invitations"))
