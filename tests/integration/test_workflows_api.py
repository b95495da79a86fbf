"""Key-position approval by regulators and entry invitations answered by workers."""

from __future__ import annotations

import httpx

from .people import Site, auth, login, worker_body
from .test_faces_end_to_end import b64, photo
from .test_workers import new_id_number


async def _register(http: httpx.AsyncClient, token: str, project_id: str) -> tuple[int, str]:
    id_number = new_id_number()
    response = await http.post(
        "/v1/workers", json=worker_body(id_number, project_id), headers=auth(token)
    )
    assert response.status_code == 201, response.text
    return int(response.json()["worker"]["worker_id"]), id_number


async def test_key_positions_need_a_regulator_of_the_region(
    http: httpx.AsyncClient, site: Site
) -> None:
    officer = auth(site.tokens["officer_a"])
    worker_id, _ = await _register(http, site.tokens["officer_a"], site.project_a)
    outsider_id, _ = await _register(http, site.tokens["officer_b"], site.project_b)
    path = f"/v1/projects/{site.project_a}/key-positions"

    requested = await http.post(
        path, json={"worker_id": worker_id, "position": "safety_officer"}, headers=officer
    )
    assert requested.status_code == 201 and requested.json()["status"] == "pending_entry"
    position = requested.json()["position_id"]
    duplicate = await http.post(
        path, json={"worker_id": worker_id, "position": "safety_officer"}, headers=officer
    )
    assert duplicate.status_code == 409
    not_on_site = await http.post(
        path, json={"worker_id": outsider_id, "position": "quality_officer"}, headers=officer
    )
    assert not_on_site.status_code == 422

    decision = f"/v1/key-positions/{position}/decision"
    approve = {"decision": "approve", "reason": "资格审核通过"}
    assert (await http.post(decision, json=approve, headers=officer)).status_code == 403
    far = await http.post(decision, json=approve, headers=auth(site.tokens["regulator_bj"]))
    assert far.status_code == 404
    regulator = auth(site.tokens["regulator_gx"])
    approved = await http.post(decision, json=approve, headers=regulator)
    assert approved.json()["status"] == "active"

    exit_request = f"/v1/key-positions/{position}/exit-request"
    assert (await http.post(exit_request, json={"reason": "调岗"}, headers=officer)).json()[
        "status"
    ] == "pending_exit"
    refused = await http.post(
        decision, json={"decision": "reject", "reason": "未交接"}, headers=regulator
    )
    assert refused.json()["status"] == "active"
    await http.post(exit_request, json={"reason": "调岗"}, headers=officer)
    exited = await http.post(decision, json=approve, headers=regulator)
    assert exited.json()["status"] == "exited"
    assert (await http.post(decision, json=approve, headers=regulator)).status_code == 409
    listed = await http.get(path, headers=regulator)
    assert [p["status"] for p in listed.json()["items"] if p["position_id"] == position] == [
        "exited"
    ]


async def test_an_invited_worker_accepts_and_enters_the_project(
    http: httpx.AsyncClient, site: Site
) -> None:
    worker_id, id_number = await _register(http, site.tokens["officer_b"], site.project_b)
    enrolled = await http.put(
        f"/v1/workers/{worker_id}/face",
        json={"project_id": site.project_b, "photos": [b64(photo("obama.jpg"))]},
        headers=auth(site.tokens["officer_b"]),
    )
    assert enrolled.status_code == 200, enrolled.text
    officer = auth(site.tokens["officer_a"])
    path = f"/v1/projects/{site.project_a}/invitations"
    invited = await http.post(path, json={"id_number": id_number}, headers=officer)
    assert invited.status_code == 201, invited.text
    invitation = invited.json()["invitation_id"]
    assert (
        await http.post(path, json={"id_number": id_number}, headers=officer)
    ).status_code == 409
    unknown = await http.post(path, json={"id_number": new_id_number()}, headers=officer)
    assert unknown.status_code == 404
    assert (await http.get("/v1/me/invitations", headers=officer)).status_code == 403

    first = await login(http, id_number, id_number[-6:])
    changed = await http.post(
        "/v1/auth/password",
        headers=auth(first.json()["token"]),
        json={"old_password": id_number[-6:], "new_password": "banzhu2026"},
    )
    me = auth(changed.json()["token"])
    mine = await http.get("/v1/me/invitations", headers=me)
    [shown] = mine.json()["items"]
    assert (shown["invitation_id"], shown["status"]) == (invitation, "pending")
    assert shown["project_name"] == f"项目{site.project_a}" and len(shown["enterprises"]) == 1
    assert (await http.post(f"/v1/invitations/{invitation}/maybe", headers=me)).status_code == 404
    # Joining authorises the use of the worker's data and is confirmed with their live face.
    accept = f"/v1/invitations/{invitation}/accept"
    live = [b64(photo("obama2.jpg")), b64(photo("obama3.jpg"))]
    unauthorised = await http.post(
        accept, json={"authorize_data": False, "selfie_jpegs": live}, headers=me
    )
    assert unauthorised.status_code == 422
    assert unauthorised.json()["problems"][0]["field"] == "authorize_data"
    someone_else = [b64(photo("biden.jpg")), b64(photo("obama3.jpg"))]
    refused = await http.post(
        accept, json={"authorize_data": True, "selfie_jpegs": someone_else}, headers=me
    )
    assert refused.status_code == 422 and "人脸核验未通过" in refused.text
    body = {"authorize_data": True, "selfie_jpegs": live}
    accepted = await http.post(accept, json=body, headers=me)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["data_authorized_at"] is not None
    assert (await http.post(accept, json=body, headers=me)).status_code == 409

    record = await http.get(f"/v1/workers/{worker_id}", headers=me)
    active = sorted(
        m["project_id"] for m in record.json()["memberships"] if m["status"] == "active"
    )
    assert active == sorted([site.project_a, site.project_b])

    other_id, other_number = await _register(http, site.tokens["officer_a"], site.project_a)
    other_login = await login(http, other_number, other_number[-6:])
    other = await http.post(
        "/v1/auth/password",
        headers=auth(other_login.json()["token"]),
        json={"old_password": other_number[-6:], "new_password": "qita2026x"},
    )
    stolen = await http.post(
        f"/v1/invitations/{invitation}/decline", headers=auth(other.json()["token"])
    )
    assert stolen.status_code == 404 and other_id != worker_id


async def test_labour_contracts_are_checked_and_scoped(http: httpx.AsyncClient, site: Site) -> None:
    officer = auth(site.tokens["officer_a"])
    worker_id, _ = await _register(http, site.tokens["officer_a"], site.project_a)
    path = f"/v1/workers/{worker_id}/contracts"
    number = f"HT-{worker_id}-2026"
    contract = {
        "number": number,
        "project_id": site.project_a,
        "enterprise_id": site.enterprise_id,
        "kind": "fixed_term",
        "signed_on": "2026-11-01",
        "starts_on": "2026-11-02",
        "ends_on": "2027-11-01",
        "wage_basis": "daily",
        "wage_amount": "320.00",
        "attachment_name": "劳动合同.pdf",
        "attachment_sha256": "ab" * 32,
        "attachment_bytes": 183_204,
    }
    created = await http.post(path, json=contract, headers=officer)
    assert created.status_code == 201, created.text
    assert (await http.post(path, json=contract, headers=officer)).status_code == 409
    no_end = {**contract, "number": f"{number}-b", "ends_on": None}
    refused = await http.post(path, json=no_end, headers=officer)
    assert refused.status_code == 422 and "open_ended" in refused.text
    stranger = {**contract, "number": f"{number}-c", "enterprise_id": 2**40}
    assert (await http.post(path, json=stranger, headers=officer)).status_code == 422
    regulator = await http.get(path, headers=auth(site.tokens["regulator_gx"]))
    assert [c["number"] for c in regulator.json()["items"]] == [number]
    assert (await http.get(path, headers=auth(site.tokens["officer_b"]))).status_code == 404
