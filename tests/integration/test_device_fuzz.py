"""Property-based fuzz of the device endpoints: whatever a gate sends, in the body or the
headers, signed or not, ingest answers with 2xx or a precise 4xx, never a 5xx."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.settings import Settings
from ingest.httpv2_client import upload_body
from ingest.signing import (
    sign_headers,
)

from .helpers import new_device
from .people import Site, auth

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.timezones(),
    ).map(lambda moment: moment.isoformat()),
    st.sampled_from(
        [
            "1969-12-31T23:00:00+08:00",
            "0001-01-01T00:00:00+08:00",
            "9999-12-31T23:59:59-08:00",
            datetime.now(UTC).isoformat(),
            "2026-13-45T99:00:00Z",
            "",
        ]
    ),
    st.text(max_size=30),
)
PASS_ITEM = st.fixed_dictionaries(
    {
        "serial": st.integers(min_value=-5, max_value=2**64) | JSON_SCALARS,
        "occurred_at": TIMES,
        "direction": st.sampled_from(["in", "out", "unknown", "sideways"]) | JSON_SCALARS,
        "method": st.sampled_from(["face", "card", "qr", "mobile"]) | JSON_SCALARS,
    },
    optional={
        "worker_id": st.text(max_size=70) | JSON_SCALARS,
        "score": st.floats() | JSON_SCALARS,
        "snapshot_ref": st.text(max_size=300) | JSON_SCALARS,
        "extra": ANY_JSON,
    },
)
FRAME = st.fixed_dictionaries(
    {
        "serial": st.integers(min_value=-5, max_value=2**64),
        "occurred_at": TIMES,
        "direction": st.sampled_from(["in", "out", "unknown"]),
        "image_jpeg": st.sampled_from(["", "%%%", "/9j/4AAQ", "/9j/" + "A" * 400]) | st.text(),
    },
    optional={"claimed_worker_id": st.text(max_size=70), "claimed_score": st.floats()},
)
# What an HTTP client can send at all: no control characters, no surrounding blanks.
HEADER_VALUES = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
).map(lambda value: value.strip(" \t"))
BODIES = {
    "/v1/passes": st.fixed_dictionaries({"events": st.lists(PASS_ITEM, max_size=4)}) | ANY_JSON,
    "/v1/frames": FRAME | ANY_JSON,
    "/v1/heartbeats": ANY_JSON,
}


def _body(value: Any, raw: bytes | None) -> bytes:
    return raw if raw is not None else json.dumps(value, allow_nan=True).encode()


def test_signed_random_bodies_get_no_server_error(stack: Settings) -> None:
    device = new_device(stack)
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    path_and_body = st.sampled_from(sorted(BODIES)).flatmap(
        lambda path: st.tuples(st.just(path), BODIES[path], st.none() | st.binary(max_size=64))
    )

    @settings(
        max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=path_and_body)
    def check(case: tuple[str, Any, bytes | None]) -> None:
        path, value, raw = case
        body = _body(value, raw)
        headers = sign_headers(device.secret, device.device_id, body, now=time.time())
        response = client.post(path, content=body, headers=headers)
        assert response.status_code < 500, (path, body[:300], response.text)
        if response.status_code >= 400:
            assert response.json()["error"]

    with httpx.Client(base_url=base, timeout=30) as client:
        check()


def test_random_headers_get_no_server_error(stack: Settings) -> None:
    device = new_device(stack)
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    names = st.sampled_from(
        [
            "x-sitepulse-device",
            "x-sitepulse-timestamp",
            "x-sitepulse-nonce",
            "x-sitepulse-signature",
        ]
    )

    @settings(
        max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        path=st.sampled_from(sorted(BODIES)),
        changed=st.dictionaries(names, HEADER_VALUES, max_size=4),
        dropped=st.sets(names, max_size=2),
    )
    def check(path: str, changed: dict[str, str], dropped: set[str]) -> None:
        body = b'{"events": []}'
        headers = sign_headers(device.secret, device.device_id, body, now=time.time())
        headers.update(changed)
        for name in dropped:
            headers.pop(name, None)
        encoded = {name: value.encode("latin-1") for name, value in headers.items()}
        response = client.post(path, content=body, headers=encoded)  # type: ignore[arg-type]
        assert response.status_code < 500, (path, headers, response.text)

    with httpx.Client(base_url=base, timeout=30) as client:
        check()


ATTLOG_LINE = st.lists(
    st.sampled_from(["1001", "2026-11-30 07:58:12", "0", "15", "255", "", "张三"])
    | st.text(max_size=20),
    max_size=8,
).map("\t".join)


async def test_a_zkteco_terminal_sending_anything_gets_no_server_error(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """Whatever a registered terminal pushes or answers (lines, bytes, GBK, NULs), ingest
    answers 200 (every line acknowledged) and never a 5xx; an odd serial gets a 4xx."""
    officer = auth(site.tokens["officer_a"])
    serial = f"FUZZ{uuid.uuid4().hex[:8].upper()}"
    registered = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": f"zk-{serial}", "protocol": "zkteco", "serial_number": serial},
        headers=officer,
    )
    assert registered.status_code == 201, registered.text
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    bodies = (
        st.lists(ATTLOG_LINE, max_size=6).map(lambda lines: "\n".join(lines).encode())
        | st.binary(max_size=200)
        | st.text(max_size=80).map(lambda text: text.encode("gb18030"))
    )

    @settings(
        max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        path=st.sampled_from(["/iclock/cdata", "/iclock/devicecmd", "/iclock/getrequest"]),
        table=st.sampled_from(["ATTLOG", "OPERLOG", "ATTPHOTO", ""]) | st.text(max_size=10),
        body=bodies,
        odd_serial=st.none() | st.text(max_size=70),
    )
    def check(path: str, table: str, body: bytes, odd_serial: str | None) -> None:
        params = {"SN": serial if odd_serial is None else odd_serial, "table": table}
        if path == "/iclock/getrequest":
            response = client.get(path, params=params)
        else:
            response = client.post(path, params=params, content=body)
        assert response.status_code < 500, (path, table, body[:200], response.text)
        if odd_serial is None:
            assert response.status_code == 200, (path, response.text)

    with httpx.Client(base_url=base, timeout=30) as client:
        check()


async def test_a_hikvision_terminal_sending_anything_gets_no_server_error(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """Whatever a registered terminal posts (JSON, XML, multipart with any boundary, bytes),
    ingest acknowledges it with 200, dead-lettering what it cannot read; never a 5xx."""
    serial = f"HFUZZ{uuid.uuid4().hex[:8].upper()}"
    registered = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": f"hik-{serial}", "protocol": "hikvision", "serial_number": serial},
        headers=auth(site.tokens["officer_a"]),
    )
    assert registered.status_code == 201, registered.text
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    access = st.fixed_dictionaries(
        {
            "majorEventType": st.sampled_from([5, "5", 3]) | JSON_SCALARS,
            "subEventType": st.sampled_from([75, 76, 1, 38, 21]) | JSON_SCALARS,
            "serialNo": st.integers(min_value=-5, max_value=2**70) | JSON_SCALARS,
            "employeeNoString": st.sampled_from(["1001", "", "../x"]) | JSON_SCALARS,
        }
    )
    events = st.fixed_dictionaries(
        {
            "eventType": st.sampled_from(["AccessControllerEvent", "heartBeat"]) | JSON_SCALARS,
            "dateTime": TIMES,
            "AccessControllerEvent": access | ANY_JSON,
        }
    ).map(lambda value: json.dumps(value).encode())
    types = (
        st.sampled_from(
            [
                "application/json",
                "application/xml",
                "multipart/form-data; boundary=MIME_boundary",
                "multipart/form-data",
                "",
            ]
        )
        | HEADER_VALUES
    )
    bodies = (
        events
        | events.map(
            lambda json_part: b"--MIME_boundary\r\n\r\n" + json_part + b"\r\n--MIME_boundary--"
        )
        | st.binary(max_size=200)
        | st.sampled_from([b"<EventNotificationAlert><eventType>x</eventType>", b"<a><b/></a>"])
    )

    @settings(
        max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(content_type=types, body=bodies)
    def check(content_type: str, body: bytes) -> None:
        headers = {"content-type": content_type.encode("latin-1")}
        response = client.post(f"/isapi/{serial}/events", content=body, headers=headers)  # type: ignore[arg-type]
        assert response.status_code == 200, (content_type, body[:200], response.text)

    with httpx.Client(base_url=base, timeout=30) as client:
        check()


async def test_an_httpv2_terminal_sending_anything_gets_no_server_error(
    stack: Settings, http: httpx.AsyncClient, site: Site
) -> None:
    """Whatever a terminal posts to the HTTPv2 endpoints, ingest answers HTTP 200 with the
    protocol's Success code (1, 400 or 401), never a 5xx."""
    serial = f"FC-FUZZ{uuid.uuid4().hex[:8].upper()}"
    registered = await http.post(
        f"/v1/projects/{site.project_a}/devices",
        json={"device_id": f"httpv2-{serial}", "protocol": "httpv2", "serial_number": serial},
        headers=auth(site.tokens["officer_a"]),
    )
    assert registered.status_code == 201, registered.text
    base = f"http://{stack.bind_host}:{stack.ingest_port}"
    records = st.fixed_dictionaries(
        {
            "RecordID": st.integers(min_value=-5, max_value=2**70) | JSON_SCALARS,
            "RecordType": st.integers(min_value=0, max_value=60) | JSON_SCALARS,
            "RecordDate": st.integers(min_value=-(2**40), max_value=2**40) | JSON_SCALARS,
        },
        optional={"UserID": st.text(max_size=30) | JSON_SCALARS, "IsEntry": JSON_SCALARS},
    )

    @settings(
        max_examples=100, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        record=records | ANY_JSON,
        compress=st.booleans(),
        raw=st.none() | st.binary(max_size=120),
        keepalive=st.booleans(),
    )
    def check(record: Any, compress: bool, raw: bytes | None, keepalive: bool) -> None:
        if keepalive:
            body = raw if raw is not None else json.dumps({"SN": serial, "x": record}).encode()
            response = client.post("/Device/Keepalive", content=body)
        else:
            content_type, body = upload_body(
                serial,
                record if isinstance(record, dict) else {"r": record},
                None,
                compress=compress,
            )
            response = client.post(
                "/Record/UploadIdentifyRecord",
                content=raw if raw is not None else body,
                headers={"content-type": content_type},
            )
        assert response.status_code == 200, (body[:200], response.text)
        assert response.json()["Success"] in (1, 400, 401)

    with httpx.Client(base_url=base, timeout=30) as client:
        check()
