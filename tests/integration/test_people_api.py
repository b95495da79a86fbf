"""The people's API over HTTP: login, first-login password change, scoped worker registry."""

from __future__ import annotations

import json
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from infra.settings import Settings
from streams.topics import REGISTRY

from .people import PASSWORD, Site, auth, login, worker_body
from .test_workers import new_id_number


async def test_login_refuses_wrong_passwords_and_unknown_logins_alike(
    http: httpx.AsyncClient, site: Site
) -> None:
    wrong = await login(http, "officer_a-nobody", PASSWORD)
    assert wrong.status_code == 401
    assert wrong.json()["reason"] == "wrong login or password"
    missing = await http.post("/v1/auth/login", content=b"{not json")
    assert missing.status_code == 422 and missing.json()["problems"][0]["field"] == "body"
    anonymous = await http.get(f"/v1/workers?project_id={site.project_a}")
    assert anonymous.status_code == 401


async def test_registration_and_reads_follow_each_role_scope(
    http: httpx.AsyncClient, site: Site
) -> None:
    id_number = new_id_number()
    created = await http.post(
        "/v1/workers",
        json=worker_body(id_number, site.project_a),
        headers=auth(site.tokens["officer_a"]),
    )
    assert created.status_code == 201, created.text
    assert id_number not in created.text  # only ever masked
    worker = created.json()["worker"]
    assert worker["id_number_masked"] == id_number[:4] + "*" * 12 + id_number[-2:]

    elsewhere = await http.post(
        "/v1/workers",
        json=worker_body(new_id_number(), site.project_b),
        headers=auth(site.tokens["officer_a"]),
    )
    assert elsewhere.status_code == 403

    path = f"/v1/workers/{worker['worker_id']}"
    assert (await http.get(path, headers=auth(site.tokens["officer_b"]))).status_code == 404
    assert (await http.get(path, headers=auth(site.tokens["regulator_bj"]))).status_code == 404
    for reader in ("officer_a", "regulator_gx", "contractor"):
        response = await http.get(path, headers=auth(site.tokens[reader]))
        assert response.status_code == 200, reader

    listing = f"/v1/workers?project_id={site.project_a}&id_suffix={id_number[-6:]}"
    for reader, status in (
        ("regulator_gx", 200),
        ("contractor", 200),
        ("officer_a", 200),
        ("regulator_bj", 403),
        ("officer_b", 403),
    ):
        response = await http.get(listing, headers=auth(site.tokens[reader]))
        assert response.status_code == status, reader
    found = await http.get(listing, headers=auth(site.tokens["regulator_gx"]))
    assert [w["worker_id"] for w in found.json()["items"]] == [worker["worker_id"]]

    bad = await http.post(
        "/v1/workers",
        json={**worker_body("123", site.project_a), "phone": "1"},
        headers=auth(site.tokens["officer_a"]),
    )
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["problems"]} == {"id_number", "phone"}


async def test_a_worker_changes_the_initial_password_then_sees_only_themself(
    http: httpx.AsyncClient, site: Site
) -> None:
    id_number = new_id_number()
    other = new_id_number()
    officer = auth(site.tokens["officer_a"])
    me = (
        await http.post("/v1/workers", json=worker_body(id_number, site.project_a), headers=officer)
    ).json()["worker"]
    them = (
        await http.post("/v1/workers", json=worker_body(other, site.project_a), headers=officer)
    ).json()["worker"]

    first = await login(http, id_number, id_number[-6:])  # the seeds' initial password
    assert first.status_code == 200 and first.json()["must_change_password"] is True
    pending = auth(first.json()["token"])
    blocked = await http.get(f"/v1/workers/{me['worker_id']}", headers=pending)
    assert blocked.status_code == 403 and "change the initial password" in blocked.json()["reason"]

    weak = await http.post(
        "/v1/auth/password",
        headers=pending,
        json={"old_password": id_number[-6:], "new_password": "abcdefgh"},
    )
    assert weak.status_code == 422
    assert weak.json()["problems"][0]["message_zh"] == "新密码须同时包含字母和数字"
    changed = await http.post(
        "/v1/auth/password",
        headers=pending,
        json={"old_password": id_number[-6:], "new_password": "gongren2026"},
    )
    assert changed.status_code == 200
    mine = auth(changed.json()["token"])

    assert (await http.get(f"/v1/workers/{me['worker_id']}", headers=mine)).status_code == 200
    assert (await http.get(f"/v1/workers/{them['worker_id']}", headers=mine)).status_code == 404
    listing = await http.get(f"/v1/workers?project_id={site.project_a}", headers=mine)
    assert listing.status_code == 403
    assert (await login(http, id_number, id_number[-6:])).status_code == 401  # old one is gone


async def test_exit_needs_confirmation_over_http(http: httpx.AsyncClient, site: Site) -> None:
    officer = auth(site.tokens["officer_a"])
    worker = (
        await http.post(
            "/v1/workers", json=worker_body(new_id_number(), site.project_a), headers=officer
        )
    ).json()["worker"]
    path = f"/v1/workers/{worker['worker_id']}/exit"
    body = {"project_id": site.project_a, "exit_date": "2026-11-20", "reason": "完工"}
    unconfirmed = await http.post(path, json=body, headers=officer)
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["error"] == "confirmation_required"
    done = await http.post(path, json={**body, "confirm": True}, headers=officer)
    assert done.status_code == 200
    assert [m["status"] for m in done.json()["memberships"]] == ["exited"]
    regulator = await http.post(
        path, json={**body, "confirm": True}, headers=auth(site.tokens["regulator_gx"])
    )
    assert regulator.status_code == 403  # regulators watch; they do not record exits


async def test_registry_changes_reach_the_compacted_topic_in_order(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    id_number = new_id_number()
    worker = (
        await http.post("/v1/workers", json=worker_body(id_number, site.project_a), headers=officer)
    ).json()["worker"]
    exit_body = {
        "project_id": site.project_a,
        "exit_date": "2026-11-20",
        "reason": "完工",
        "confirm": True,
    }
    assert (
        await http.post(f"/v1/workers/{worker['worker_id']}/exit", json=exit_body, headers=officer)
    ).status_code == 200

    wanted = {f"worker:{worker['worker_id']}", f"membership:{worker['worker_id']}@{site.project_a}"}
    consumer = AIOKafkaConsumer(
        stack.topic(REGISTRY),
        bootstrap_servers=stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[str, dict[str, Any]]] = []
    try:
        for _ in range(60):
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                seen += [
                    (m.key.decode(), json.loads(m.value))
                    for m in messages
                    if m.key and m.key.decode() in wanted
                ]
            if len(seen) >= 3:
                break
    finally:
        await consumer.stop()
    membership = [value for key, value in seen if key.startswith("membership:")]
    assert [m["state"]["status"] for m in sorted(membership, key=lambda v: v["seq"])] == [
        "active",
        "exited",
    ]
    worker_state = next(value["state"] for key, value in seen if key.startswith("worker:"))
    assert worker_state["id_number_masked"] == worker["id_number_masked"]
    assert id_number not in json.dumps([value for _, value in seen], ensure_ascii=False)
