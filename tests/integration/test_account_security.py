"""Accounts hold against guessing and theft: lockouts, address limits, tokens that end
when their account changes, and initial passwords that expire."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from psycopg import AsyncConnection

from infra.settings import Settings

from .helpers import wait_until
from .people import Site, auth, login, worker_body
from .test_realtime_scopes import refused as refused_subscription
from .test_workers import new_id_number


async def _staff_account(http: httpx.AsyncClient, site: Site) -> tuple[int, str, str]:
    name, password = f"acct{uuid.uuid4().hex[:8]}", "Linshi2026"
    created = await http.post(
        "/v1/users",
        headers=auth(site.tokens["contractor"]),
        json={
            "login": name,
            "password": password,
            "role": "labour_officer",
            "scope_id": site.project_a,
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["user_id"]), name, password


async def test_an_account_locks_after_repeated_failures_until_unlocked_with_an_audit(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    user_id, name, password = await _staff_account(http, site)
    for _ in range(stack.login_max_failures):
        assert (await login(http, name, "wrong-password-1")).status_code == 401
    locked = await login(http, name, password)  # even the right password waits now
    assert locked.status_code == 429
    assert "锁定" in locked.json()["message_zh"]
    assert 0 < int(locked.headers["retry-after"]) <= stack.login_lockout_s

    path = f"/v1/users/{user_id}/unlock"
    assert (await http.post(path, headers=auth(site.tokens["regulator_bj"]))).status_code == 403
    unlocked = await http.post(path, headers=auth(site.tokens["contractor"]))
    assert unlocked.status_code == 200 and unlocked.json()["was_locked"] is True
    assert (await login(http, name, password)).status_code == 200
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT actor FROM audit_log WHERE action = 'user.unlock' AND entity_id = %s",
            (str(user_id),),
        )
        [(actor,)] = await cursor.fetchall()
        assert actor.startswith("contractor_admin:")


async def test_one_address_guessing_many_accounts_is_slowed_down(
    stack: Settings, http: httpx.AsyncClient
) -> None:
    base = f"http://{stack.bind_host}:{stack.api_port}"
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.9")
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30) as guesser:
        for start in range(0, stack.login_address_max_failures, 50):
            answers = await asyncio.gather(
                *(login(guesser, f"nobody{start + i}", "guess-123") for i in range(50))
            )
            assert {a.status_code for a in answers} <= {401, 429}
        refused = await login(guesser, "nobody-else", "guess-123")
        assert refused.status_code == 429
        assert refused.json()["message_zh"] == "登录尝试过于频繁，请稍后再试"
    # Other addresses are not affected.
    assert (await login(http, "nobody-else", "guess-123")).status_code == 401


async def test_tokens_end_when_the_account_is_disabled_or_its_password_changes(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    user_id, name, password = await _staff_account(http, site)
    first = (await login(http, name, password)).json()["token"]
    changed = await http.post(
        "/v1/auth/password",
        headers=auth(first),
        json={"old_password": password, "new_password": "Xinmima2026"},
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["token"]
    workers = f"/v1/workers?project_id={site.project_a}"
    assert (await http.get(workers, headers=auth(fresh))).status_code == 200
    stale = await http.get(workers, headers=auth(first))
    assert stale.status_code == 401
    assert stale.json()["message_zh"] == "登录已失效，请重新登录"

    disabled = await http.post(
        f"/v1/users/{user_id}/disable", headers=auth(site.tokens["contractor"])
    )
    assert disabled.status_code == 200

    async def refused() -> bool:
        answer = await http.get(workers, headers=auth(fresh))
        return answer.status_code == 401 and answer.json()["message_zh"] == "账号已停用"

    await wait_until(refused, timeout_s=10)  # token_check_ttl_s at most, in any process
    live = await refused_subscription(stack, fresh, f"project:{site.project_a}")
    assert live.code == 4401  # nor does the live feed take it


async def test_an_expired_initial_password_is_refused_and_the_officer_issues_a_new_one(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    id_number = new_id_number()
    registered = await http.post(
        "/v1/workers", json=worker_body(id_number, site.project_a), headers=officer
    )
    assert registered.status_code == 201, registered.text
    worker_id = registered.json()["worker"]["worker_id"]
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "UPDATE workers SET created_at = now() - make_interval(days => %s)"
            " WHERE worker_id = %s",
            (stack.initial_password_days + 1, worker_id),
        )
    expired = await login(http, id_number, id_number[-6:])
    assert expired.status_code == 401
    assert expired.json()["message_zh"] == "初始密码已过期，请联系劳资专管员重新发放"

    other = auth(site.tokens["officer_b"])
    path = f"/v1/workers/{worker_id}/initial-password"
    assert (await http.post(path, headers=other)).status_code == 404
    issued = await http.post(path, headers=officer)
    assert issued.status_code == 201, issued.text
    new_password = issued.json()["initial_password"]
    assert len(new_password) >= 8 and new_password != id_number[-6:]
    assert (await login(http, id_number, id_number[-6:])).status_code == 401
    first = await login(http, id_number, new_password)
    assert first.status_code == 200 and first.json()["must_change_password"] is True
