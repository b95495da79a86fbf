"""Payroll on the real servers: a month end to end (attendance in, sheet from attendance,
signed, bank file sealed and opened by the bank, a return with one failed line, a
supplementary sheet paying it), the card rules, and what the worker sees."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import uuid
from datetime import date, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from psycopg import AsyncConnection
from redis.asyncio import Redis

from analytics.attendance_sink import ATTENDANCE_COLUMNS
from analytics.clickhouse import connect
from analytics.executor import DriverExecutor
from api.payroll.sealing import open_bank_file
from infra.settings import Settings
from streams.channels import project_channel
from streams.local_time import BEIJING
from streams.topics import PAYROLL

from .helpers import new_device, post_passes, topic_values, wait_until
from .people import PASSWORD, Site, auth, worker_with_password
from .receiver import StandInBank
from .test_alerts import evaluate
from .test_attendance_stream import YESTERDAY, attendance, swipe
from .test_faces_end_to_end import b64, photo
from .test_workers import new_id_number

SECURITY = "anquan2026mima"
MONTH = f"{YESTERDAY:%Y-%m}"


def card_number(bin6: str) -> str:
    """A card number of this issuer that passes the Luhn check."""
    body = bin6 + "".join(random.choice("0123456789") for _ in range(12))
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


def bank_keypair(stack: Settings, bank: str) -> rsa.RSAPrivateKey:
    """The bank's key pair; its public half installed where the API looks for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stack.bank_keys.mkdir(parents=True, exist_ok=True)
    (stack.bank_keys / f"{bank}.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


async def payroll_officer(http: httpx.AsyncClient, site: Site) -> dict[str, str]:
    officer = auth(site.tokens["officer_a"])
    same = await http.put(
        "/v1/me/payroll-password",
        json={"login_password": PASSWORD, "security_password": PASSWORD},
        headers=officer,
    )
    assert same.status_code == 403 and same.json()["message_zh"] == "安全密码不能与登录密码相同"
    chosen = await http.put(
        "/v1/me/payroll-password",
        json={"login_password": PASSWORD, "security_password": SECURITY},
        headers=officer,
    )
    assert chosen.status_code == 200, chosen.text
    return {**officer, "x-payroll-password": SECURITY}


async def contracted_worker(
    http: httpx.AsyncClient,
    site: Site,
    officer: dict[str, str],
    daily: int,
    *,
    since: date | None = None,
) -> tuple[int, dict[str, str], str]:
    """A worker of project A with a daily-wage contract with the enterprise since ``since``
    (default: this month): (id, token headers, ID number)."""
    id_number = new_id_number()
    worker_id, token, _ = await worker_with_password(http, officer, site.project_a, id_number)
    first = since or YESTERDAY.replace(day=1)
    contract = await http.post(
        f"/v1/workers/{worker_id}/contracts",
        json={
            "number": f"HT-{uuid.uuid4().hex[:10]}",
            "project_id": site.project_a,
            "enterprise_id": site.enterprise_id,
            "kind": "open_ended",
            "signed_on": first.isoformat(),
            "starts_on": first.isoformat(),
            "wage_basis": "daily",
            "wage_amount": str(daily),
        },
        headers=officer,
    )
    assert contract.status_code == 201, contract.text
    return worker_id, auth(token), id_number


async def bind(http: httpx.AsyncClient, worker: dict[str, str], bank: str, number: str) -> Any:
    return await http.post(
        "/v1/me/bank-card",
        json={"bank_code": bank, "card_number": number, "agree": True},
        headers=worker,
    )


async def rebind(
    http: httpx.AsyncClient, worker: dict[str, str], number: str, selfie: str
) -> httpx.Response:
    return await http.post(
        "/v1/me/bank-card/rebind",
        json={"card_number": number, "selfie_jpeg": b64(photo(selfie)), "agree": True},
        headers=worker,
    )


def wage_account(site: Site, number: str) -> dict[str, Any]:
    return {
        "project_id": site.project_a,
        "enterprise_id": site.enterprise_id,
        "bank_code": "ICBC",
        "account_number": number,
        "account_name": "建工集团农民工工资专用账户",
        "opened_on": "2026-01-05",
    }


def bank_return(rows: list[tuple[int, str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line_id", "result", "paid_on", "bank_ref", "reason"])
    writer.writerows(rows)
    return out.getvalue().encode()


async def test_a_month_of_pay_end_to_end(
    stack: Settings, http: httpx.AsyncClient, site: Site, bank_api: StandInBank
) -> None:
    officer = auth(site.tokens["officer_a"])
    payroll = await payroll_officer(http, site)
    bank = bank_keypair(stack, "ICBC")

    # Two workers with contracts, attendance yesterday (10 hours each) and wage cards.
    w1, worker1, id1 = await contracted_worker(http, site, officer, daily=300)
    w2, worker2, id2 = await contracted_worker(http, site, officer, daily=280)
    device = new_device(stack, site.project_a)
    swipes = [
        swipe(1, str(w1), "07:30", "in"),
        swipe(2, str(w1), "17:30", "out"),
        swipe(3, str(w2), "07:30", "in"),
        swipe(4, str(w2), "17:30", "out"),
    ]
    assert (await post_passes(stack, device, swipes)).status_code == 202
    await wait_until(
        lambda: (
            YESTERDAY in attendance(stack, site.project_a, str(w1))
            and YESTERDAY in attendance(stack, site.project_a, str(w2))
        )
    )
    card1, card2 = card_number("622202"), card_number("621700")
    assert (await bind(http, worker1, "ICBC", card1)).status_code == 201
    assert (await bind(http, worker2, "CCB", card2)).status_code == 201

    # The wage account, after the security password; each step refuses a wrong one.
    account = wage_account(site, "2102201019000123456")
    missing_account = {**account, "account_number": "2102201019000000000"}
    refused_by_bank = await http.post(
        "/v1/payroll/wage-accounts", json=missing_account, headers=payroll
    )
    assert refused_by_bank.status_code == 422, refused_by_bank.text
    assert "账户不存在" in refused_by_bank.json()["problems"][0]["reason"]
    wrong = await http.post(
        "/v1/payroll/wage-accounts", json=account, headers={**officer, "x-payroll-password": "x1"}
    )
    assert wrong.status_code == 403 and wrong.json()["message_zh"] == "安全密码错误"
    added = await http.post("/v1/payroll/wage-accounts", json=account, headers=payroll)
    assert added.status_code == 201, added.text
    assert added.json()["verification"] == "bank_api" and added.json()["verified_by"]
    assert added.json()["verification_ref"] == "VERIFY-123456"
    assert bank_api.requests[-1]["account_name"] == account["account_name"]

    # (a) The sheet, pre-filled from attendance and the contracts.
    created = await http.post(
        "/v1/payroll/sheets",
        json={"project_id": site.project_a, "enterprise_id": site.enterprise_id, "month": MONTH},
        headers=payroll,
    )
    assert created.status_code == 201, created.text
    sheet = created.json()
    sheet_id = sheet["sheet_id"]
    prefilled = {line["worker_id"]: line for line in sheet["items"]}
    assert prefilled[w1]["amount"] == "300.00" and prefilled[w1]["days_worked"] == 1
    assert prefilled[w2]["amount"] == "280.00" and prefilled[w1]["hours_worked"] == "10.0"
    assert sheet["state"] == "draft" and prefilled[w1]["card_last4"] == card1[-4:]
    again = await http.post(
        "/v1/payroll/sheets",
        json={"project_id": site.project_a, "enterprise_id": site.enterprise_id, "month": MONTH},
        headers=payroll,
    )
    assert again.status_code == 409

    # An upload with bad lines names every one and changes nothing.
    bad = (
        "身份证号,姓名,出勤天数,工时,应发金额\n"
        f"{id1},韦小宝,1,10,0\n{id2},韦小宝,1,10,280\n{id2},韦小宝,1,10,280\n"
        f"{new_id_number()},无名,1,10,100\n"
    )
    refused = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/table", content=bad.encode("gb18030"), headers=payroll
    )
    assert refused.status_code == 422, refused.text
    assert [p["field"] for p in refused.json()["problems"]] == [
        "lines.1.amount",
        "lines.3.id_number",
        "lines.4.id_number",
    ]
    good_rows = f"{id1},韦小宝,1,10,320\n{id2},韦小宝,1,10,280\n"
    duplicate = good_rows + f"{id2},韦小宝,1,10,280\n{new_id_number()},无名,1,10,100\n"
    refused = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/table",
        content=("id_number,name,days_worked,hours_worked,amount\n" + duplicate).encode(),
        headers=payroll,
    )
    assert [p["message_zh"] for p in refused.json()["problems"]] == [
        "第3行：重复行（与第2行为同一工人）",
        "第4行：未找到该身份证号的实名登记",
    ]
    unchanged = await http.get(f"/v1/payroll/sheets/{sheet_id}", headers=officer)
    assert unchanged.json()["revision"] == 1 and unchanged.json()["state"] == "draft"
    table = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/table",
        content=("id_number,name,days_worked,hours_worked,amount\n" + good_rows).encode(),
        headers=payroll,
    )
    assert table.status_code == 200, table.text
    assert table.json()["state"] == "table" and table.json()["total"] == "600.00"

    # (b) Each worker confirms their own line; then the sheet counts as signed.
    early = await http.post(f"/v1/payroll/sheets/{sheet_id}/signed-by-workers", headers=payroll)
    assert early.status_code == 409 and "2名工人" in early.json()["message_zh"]
    for worker in (worker1, worker2):
        mine = (await http.get("/v1/me/pay", headers=worker)).json()["items"]
        line = next(item for item in mine if item["sheet_id"] == sheet_id)
        confirmed = await http.post(f"/v1/me/pay/{line['line_id']}/confirm", headers=worker)
        assert confirmed.status_code == 200, confirmed.text
    signed = await http.post(f"/v1/payroll/sheets/{sheet_id}/signed-by-workers", headers=payroll)
    assert signed.status_code == 200 and signed.json()["state"] == "signed"

    # (c) The bank file: only the bank's key opens it; it pays the bound cards.
    redis = Redis.from_url(stack.redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(project_channel(stack.namespace, site.project_a))
    exported = await http.post(f"/v1/payroll/sheets/{sheet_id}/bank-file", headers=payroll)
    assert exported.status_code == 200, exported.text
    assert card1 not in exported.text
    rows = list(csv.reader(io.StringIO(open_bank_file(exported.content, bank).decode())))
    assert rows[0][:5] == ["H", str(sheet_id), account["account_number"], "ICBC", MONTH]
    details = {row[3]: row for row in rows if row[0] == "D"}
    assert details[card1][5] == "320.00" and details[card2][5] == "280.00"
    assert details[card2][4] == "CCB" and rows[-1][:3] == ["T", "2", "600.00"]
    sent = await http.get(f"/v1/payroll/sheets/{sheet_id}", headers=officer)
    assert sent.json()["state"] == "sent"
    told = await pay_messages(pubsub, 2)
    assert {(m["worker_id"], m["status"]) for m in told} == {(w1, "sent"), (w2, "sent")}

    # (d) The bank's return: one paid, one failed; the same file again changes nothing.
    lines = {line["worker_id"]: line["line_id"] for line in sent.json()["items"]}
    today = datetime.now(BEIJING).date().isoformat()
    returned = bank_return(
        [
            (lines[w1], "paid", today, "ICBC20261130001", ""),
            (lines[w2], "failed", "", "", "账户已销户"),
        ]
    )
    imported = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/bank-return", content=returned, headers=payroll
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["state"] == "partly_failed" and not imported.json()["already_imported"]
    assert (imported.json()["paid"], imported.json()["failed"]) == (1, 1)
    twice = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/bank-return", content=returned, headers=payroll
    )
    assert twice.status_code == 200 and twice.json()["already_imported"]
    assert twice.json()["paid"] == 1
    paid_twice = bank_return([(lines[w1], "paid", today, "ICBC-OTHER", "")])
    refused = await http.post(
        f"/v1/payroll/sheets/{sheet_id}/bank-return", content=paid_twice, headers=payroll
    )
    assert refused.status_code == 409  # the sheet is settled: nothing more to reconcile
    told = await pay_messages(pubsub, 2)
    assert {(m["worker_id"], m["status"]) for m in told} == {(w1, "paid"), (w2, "failed")}

    # A supplementary sheet pays the failed line again, through the same steps.
    extra = await http.post(f"/v1/payroll/sheets/{sheet_id}/supplementary", headers=payroll)
    assert extra.status_code == 201, extra.text
    extra_id = extra.json()["sheet_id"]
    [retry] = extra.json()["items"]
    assert (retry["worker_id"], retry["amount"], extra.json()["state"]) == (w2, "280.00", "table")
    assert extra.json()["parent_sheet_id"] == sheet_id
    not_pdf = await http.post(
        f"/v1/payroll/sheets/{extra_id}/signed-scan", content=b"hello", headers=payroll
    )
    assert not_pdf.status_code == 422
    scan = await http.post(
        f"/v1/payroll/sheets/{extra_id}/signed-scan",
        content=b"%PDF-1.4\n% signed by the workers\n%%EOF\n",
        headers=payroll,
    )
    assert scan.status_code == 200 and scan.json()["signed_by"] == "scan"
    assert scan.json()["signed_file_sha256"]
    assert (await http.post(f"/v1/payroll/sheets/{extra_id}/bank-file", headers=payroll)).is_success
    unknown = bank_return([(lines[w1], "paid", today, "X1", "")])
    refused = await http.post(
        f"/v1/payroll/sheets/{extra_id}/bank-return", content=unknown, headers=payroll
    )
    assert refused.status_code == 422 and "has no line" in refused.json()["problems"][0]["reason"]
    settled = await http.post(
        f"/v1/payroll/sheets/{extra_id}/bank-return",
        content=bank_return([(retry["line_id"], "paid", today, "ICBC20261130002", "")]),
        headers=payroll,
    )
    assert settled.json()["state"] == "reconciled", settled.text
    first = await http.get(f"/v1/payroll/sheets/{sheet_id}", headers=officer)
    failed_line = next(line for line in first.json()["items"] if line["worker_id"] == w2)
    assert failed_line["retried_by_line_id"] == retry["line_id"]

    # What the worker sees: the failed line and the one that paid it, with the bank's date.
    mine = await http.get("/v1/me/pay", headers=worker2)
    assert mine.status_code == 200 and "以银行实际到账为准" in mine.json()["note_zh"]
    statuses = sorted((item["status"], item["paid_on"]) for item in mine.json()["items"])
    assert statuses == [("failed", None), ("paid", today)]
    assert all(item["month"] == MONTH for item in mine.json()["items"])

    # A dispute: the worker raises it, the regulator sees it open, the officer answers.
    line1 = lines[w1]
    disputed = await http.post(
        f"/v1/me/pay/{line1}/dispute", json={"reason": "加班费未计入"}, headers=worker1
    )
    assert disputed.status_code == 201, disputed.text
    regulator = auth(site.tokens["regulator_gx"])
    open_ones = await http.get("/v1/payroll/disputes?status=open", headers=regulator)
    assert disputed.json()["dispute_id"] in {d["dispute_id"] for d in open_ones.json()["items"]}
    hidden = await http.get("/v1/payroll/disputes", headers=auth(site.tokens["regulator_bj"]))
    assert disputed.json()["dispute_id"] not in {d["dispute_id"] for d in hidden.json()["items"]}
    answered = await http.post(
        f"/v1/payroll/disputes/{disputed.json()['dispute_id']}/answer",
        json={"answer": "已核实，下月补发"},
        headers=officer,
    )
    assert answered.json()["status"] == "answered"
    assert (await http.get("/v1/me/pay", headers=worker1)).json()["items"][0]["dispute_status"] == (
        "answered"
    )

    # Every fact is on the payroll topic, never a full card number.
    async def facts_arrived() -> bool:
        facts = [f for f in await topic_values(stack, PAYROLL) if f["key"] == f"sheet:{sheet_id}"]
        states = [f["data"]["state"] for f in facts if f["fact"] == "sheet"]
        kinds = {f["fact"] for f in facts}
        return (
            states == ["draft", "table", "signed", "sent", "partly_failed"]
            and {
                "line",
                "payment",
                "failure",
            }
            <= kinds
        )

    await wait_until(facts_arrived, 60)
    everything = json.dumps(await topic_values(stack, PAYROLL))
    assert card1 not in everything and card2 not in everything and id1 not in everything
    await pubsub.unsubscribe()
    await redis.aclose()


async def pay_messages(pubsub: Any, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        while len(found) < count:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                value = json.loads(message["data"])
                if value.get("type") == "pay":
                    found.append(value)
    return found


async def test_card_binding_and_rebinding_follow_the_platform_rules(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    payroll = await payroll_officer(http, site)
    bank_keypair(stack, "ICBC")
    worker_id, worker, _ = await contracted_worker(http, site, officer, daily=300)

    valid = card_number("622202")
    luhn_broken = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    checks = [
        ("ICBC", card_number("621700"), "card_number", "卡号与所选银行不一致"),
        ("BOCOM", card_number("622260"), "bank_code", "该银行不是本地区的工资代发银行"),
        ("ICBC", luhn_broken, "card_number", "银行卡号校验不正确"),
        ("ICBC", card_number("629999"), "card_number", "无法识别该卡的发卡银行"),
    ]
    for bank, number, field, zh in checks:
        refused = await bind(http, worker, bank, number)
        assert refused.status_code == 422, refused.text
        assert refused.json()["problems"][0]["field"] == field
        assert refused.json()["problems"][0]["message_zh"] == zh
    first = card_number("622202")
    bound = await bind(http, worker, "ICBC", first)
    assert bound.status_code == 201, bound.text
    assert bound.json()["active"]["card_masked"].endswith(first[-4:])
    assert bound.json()["active"]["holder_name_masked"] == "韦*宝"
    assert (await bind(http, worker, "ICBC", card_number("622202"))).status_code == 422
    taken = await http.post(
        "/v1/me/bank-card",
        json={"bank_code": "ICBC", "card_number": first, "agree": True},
        headers=(await contracted_worker(http, site, officer, daily=300))[1],
    )
    assert taken.status_code == 409  # one card, one worker

    # A sheet created now pays this card, even after a rebind.
    account = wage_account(site, "2102201019000654321")
    assert (
        await http.post("/v1/payroll/wage-accounts", json=account, headers=payroll)
    ).status_code == 201
    sheet = await http.post(
        "/v1/payroll/sheets",
        json={"project_id": site.project_a, "enterprise_id": site.enterprise_id, "month": MONTH},
        headers=payroll,
    )
    assert sheet.status_code == 201, sheet.text

    # A rebind needs the worker's enrolled face, the same issuer, and once a month.
    second = card_number("622202")
    no_face = await rebind(http, worker, second, "obama2.jpg")
    assert no_face.status_code == 422 and no_face.json()["problems"][0]["field"] == "selfie_jpeg"
    enrolled = await http.put(
        f"/v1/workers/{worker_id}/face",
        json={"project_id": site.project_a, "photos": [b64(photo("obama.jpg"))]},
        headers=officer,
    )
    assert enrolled.status_code == 200, enrolled.text
    stranger = await rebind(http, worker, second, "biden.jpg")
    assert (
        stranger.status_code == 403
        and stranger.json()["message_zh"] == "人脸核验未通过，不能重新绑卡"
    )
    other_bank = await rebind(http, worker, card_number("621700"), "obama2.jpg")
    assert other_bank.status_code == 422
    assert other_bank.json()["problems"][0]["message_zh"] == "重新绑卡仅支持原开卡银行的银行卡"
    rebound = await rebind(http, worker, second, "obama2.jpg")
    assert rebound.status_code == 200, rebound.text
    assert rebound.json()["active"]["card_masked"].endswith(second[-4:])
    assert [card["via"] for card in rebound.json()["history"]] == ["rebind", "bind"]
    assert rebound.json()["history"][1]["unbound_at"] is not None
    once_more = await rebind(http, worker, card_number("622202"), "obama2.jpg")
    assert once_more.status_code == 422
    assert once_more.json()["problems"][0]["message_zh"] == "每月最多只能解绑（重新绑卡）一次"

    # The sheet created before the rebind still pays the old card; a new upload too.
    sheet_id = sheet.json()["sheet_id"]
    body = await http.get(f"/v1/payroll/sheets/{sheet_id}", headers=officer)
    mine = [line for line in body.json()["items"] if line["worker_id"] == worker_id]
    assert all(line["card_last4"] == first[-4:] for line in mine)


async def test_payroll_refuses_other_roles_and_scopes(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    payroll = await payroll_officer(http, site)
    regulator = auth(site.tokens["regulator_gx"])
    body = {"project_id": site.project_a, "enterprise_id": site.enterprise_id, "month": MONTH}
    as_regulator = await http.post(
        "/v1/payroll/sheets", json=body, headers={**regulator, "x-payroll-password": SECURITY}
    )
    assert as_regulator.status_code == 403
    outsider = auth(site.tokens["officer_b"])
    unset = await http.post(
        "/v1/payroll/sheets", json=body, headers={**outsider, "x-payroll-password": SECURITY}
    )
    assert unset.status_code == 403 and unset.json()["message_zh"] == "请先设置安全密码"
    no_account = await http.post("/v1/payroll/sheets", json=body, headers=payroll)
    assert no_account.status_code == 409
    assert no_account.json()["message_zh"] == "项目尚未绑定工资专户，请先添加专户"
    bad_month = await http.post(
        "/v1/payroll/sheets", json={**body, "month": "2026-13"}, headers=payroll
    )
    assert bad_month.status_code == 422 and bad_month.json()["problems"][0]["field"] == "month"
    # A new security password ends the old one at once, though it was proven a moment ago.
    renewed = {**auth(site.tokens["officer_a"]), "x-payroll-password": "xin2026mima"}
    changed = await http.put(
        "/v1/me/payroll-password",
        json={"login_password": PASSWORD, "security_password": "xin2026mima"},
        headers=renewed,
    )
    assert changed.status_code == 200, changed.text
    old = await http.post("/v1/payroll/sheets", json=body, headers=payroll)
    assert old.status_code == 403 and old.json()["message_zh"] == "安全密码错误"
    assert (await http.post("/v1/payroll/sheets", json=body, headers=renewed)).status_code == 409
    # Wrong security passwords lock the officer's payroll steps, like wrong logins.
    guessing = {**auth(site.tokens["officer_a"]), "x-payroll-password": "guess2026x"}
    # A right password clears the failures before it, though it was proven a moment ago.
    for _ in range(4):
        wrong = await http.post("/v1/payroll/sheets", json=body, headers=guessing)
        assert wrong.status_code == 403
    assert (await http.post("/v1/payroll/sheets", json=body, headers=renewed)).status_code == 409
    answers = [
        (await http.post("/v1/payroll/sheets", json=body, headers=guessing)).status_code
        for _ in range(6)
    ]
    assert answers == [403] * 5 + [429], answers
    locked = await http.post("/v1/payroll/sheets", json=body, headers=payroll)
    assert locked.status_code == 429  # the right one too, until the lock ends


async def test_the_sample_region_holds_payroll_in_three_states(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    from api.payroll.sealing import DataSealer
    from api.seed import (
        build_sample,
        load_payroll_sample,
        load_sample,
        sample_attendance,
        sample_pay_month,
    )

    sample = build_sample(projects=3, workers=90, seed=13)
    load_sample(stack.postgres_dsn, sample)
    today = datetime.now(BEIJING).date()
    sealer = DataSealer("seed-test-key-" * 3)
    first = load_payroll_sample(stack.postgres_dsn, sealer, sample, today=today)
    again = load_payroll_sample(stack.postgres_dsn, sealer, sample, today=today)
    assert again == {"wage_accounts": 0, "cards": 0, "sheets": 0, "lines": 0}
    pay_month = f"{sample_pay_month(today):%Y-%m}"
    regulator = auth(site.tokens["regulator_gx"])
    listed = await http.get(f"/v1/payroll/sheets?month={pay_month}", headers=regulator)
    sample_ids = {"P001", "P002", "P003"}
    states = {s["project_id"]: s for s in listed.json()["items"] if s["project_id"] in sample_ids}
    assert first["wage_accounts"] == first["sheets"] == 3 and first["lines"] > 30
    assert {p: s["state"] for p, s in states.items()} == {
        "P001": "reconciled",
        "P002": "partly_failed",
        "P003": "table",
    }
    assert states["P002"]["failed"] > 0 and states["P001"]["failed"] == 0
    assert states["P001"]["paid"] == states["P001"]["lines"] > 0
    async with await AsyncConnection.connect(stack.postgres_dsn) as conn:
        cursor = await conn.execute(
            "SELECT c.card_sealed, c.last4 FROM bank_cards c"
            " JOIN payroll_lines l ON l.card_id = c.card_id"
            " JOIN payroll_sheets s ON s.sheet_id = l.sheet_id WHERE s.created_by = 'seed'"
        )
        sealed_cards = await cursor.fetchall()
    assert sealed_cards
    for sealed, last4 in sealed_cards:
        digits = sealer.open(bytes(sealed))
        assert digits.endswith(last4) and digits.encode() not in bytes(sealed)

    # With the month's attendance in ClickHouse, the demo's wage warnings are there at once:
    # the unpaid project is late, the one with failed payments paid short, the paid one calm.
    days = sample_attendance(stack.postgres_dsn, sample, today=today)
    db = DriverExecutor(connect(stack.clickhouse_url))
    db.insert("attendance_days", ATTENDANCE_COLUMNS, [record.row() for record in days])

    def sunk() -> bool:  # the seed's payroll facts, through the outbox and the wage sink
        rows = db.rows(
            "SELECT count() FROM wage_lines FINAL WHERE project_id = 'P001' AND status = 'paid'"
        )
        return bool(int(rows[0][0]) == states["P001"]["lines"])

    await wait_until(sunk, 60)
    evaluate(stack)
    opened = {
        (a["project_id"], a["rule"])
        for a in (await http.get("/v1/alerts?status=open", headers=regulator)).json()["items"]
        if a["project_id"] in sample_ids
    }
    assert ("P003", "payroll_late") in opened and ("P002", "wage_paid_headcount_short") in opened
    assert not {rule for project, rule in opened if project == "P001"} & {
        "payroll_late",
        "wage_paid_headcount_short",
        "wage_unrecorded_workers",
    }
