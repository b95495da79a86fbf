"""What probing found: each of these once answered 500; each is now a precise 4xx."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx

from api.identity import uscc_check_character
from infra.settings import Settings
from ingest.signing import sign_headers

from .helpers import new_device, post_passes
from .people import Site, auth, worker_body
from .test_workers import new_id_number


def _credit_code() -> str:
    body17 = f"91450700MA{uuid.uuid4().int % 10**7:07d}"
    return body17 + uscc_check_character(body17)


async def test_an_enterprise_in_an_unregistered_region_is_a_422_naming_the_field(
    http: httpx.AsyncClient, site: Site
) -> None:
    body = {
        "credit_code": _credit_code(),
        "name": "无名劳务有限公司",
        "kind": "labour_company",
        "region_code": "990000",
    }
    refused = await http.post(
        "/v1/enterprises", json=body, headers=auth(site.tokens["regulator_gx"])
    )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["problems"]
    assert problem["field"] == "region_code" and problem["message_zh"]


async def test_an_invitation_to_a_team_of_no_such_project_team_is_a_422(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer_b = auth(site.tokens["officer_b"])
    id_number = new_id_number()
    registered = await http.post(
        "/v1/workers", json=worker_body(id_number, site.project_b), headers=officer_b
    )
    assert registered.status_code == 201, registered.text
    path = f"/v1/projects/{site.project_a}/invitations"
    officer_a = auth(site.tokens["officer_a"])
    for team in (987654321, 2**62):
        refused = await http.post(
            path, json={"id_number": id_number, "team_id": team}, headers=officer_a
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["problems"][0]["field"] == "team_id"


async def test_concurrent_duplicate_registrations_are_one_201_and_409s_never_500(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    body = worker_body(new_id_number(), site.project_a)
    answers = await asyncio.gather(
        *(http.post("/v1/workers", json=body, headers=officer) for _ in range(6))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, statuses


async def test_oversized_bodies_are_refused_with_413_before_authentication(
    stack: Settings, http: httpx.AsyncClient
) -> None:
    huge = b'{"login": "x", "password": "' + b"a" * (stack.api_max_body_bytes + 10) + b'"}'
    refused = await http.post("/v1/auth/login", content=huge)
    assert refused.status_code == 413
    assert refused.json()["message_zh"] == "请求体过大"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(stack.api_max_body_bytes // 65536 + 2):
            yield b"a" * 65536

    streamed = await http.post("/v1/auth/login", content=chunks())
    assert streamed.status_code == 413

    device = new_device(stack)  # a gate's batch past its limit: refused before its signature
    gate_body = b'{"events": [' + b" " * (stack.ingest_max_batch * 2048 + 1) + b"]}"
    too_big = await post_passes(stack, device, body=gate_body)
    assert too_big.status_code == 413
    assert too_big.json()["problems"][0]["field"] == "body"


async def test_a_non_ascii_digit_in_the_device_timestamp_is_a_401(stack: Settings) -> None:
    device = new_device(stack)
    body = b'{"events": []}'
    url = f"http://{stack.bind_host}:{stack.ingest_port}/v1/passes"
    async with httpx.AsyncClient(timeout=30) as client:
        for stamp in ("\u00b2" * 3, "17\u00b9", "+1764000000", "1764000000.5"):
            headers = sign_headers(device.secret, device.device_id, body, now=time.time())
            headers["x-sitepulse-timestamp"] = stamp
            encoded = {name: value.encode("latin-1") for name, value in headers.items()}
            answer = await client.post(url, content=body, headers=encoded)  # type: ignore[arg-type]
            assert answer.status_code == 401, (stamp, answer.text)
