"""Starts the real local stack once per test session, on free loopback ports."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from psycopg import AsyncConnection
from selenium.webdriver.remote.webdriver import WebDriver

from api.auth.principal import Role
from api.identity import uscc_check_character
from infra.launch.ephemeral import ephemeral_stack
from infra.settings import Settings

from .chromium import open_browser
from .people import Site, staff_tokens
from .receiver import Mailbox, StandInBank, WebhookReceiver

REPO = Path(__file__).resolve().parents[2]


WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"
ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X](?![0-9])"
)


def id_numbers_in_logs(settings: Settings) -> dict[str, list[str]]:
    """Full ID numbers found in the stack's process logs (the tests register many workers;
    none may reach a log). Checked when the session's stack stops, whatever ran last."""
    logs = sorted((settings.resolved_data_dir / "logs").glob("*.log"))
    assert {path.stem for path in logs} >= {"api", "ingest", "streams", "postgres"}
    found = {path.name: ID_NUMBER.findall(path.read_text(errors="replace"))[:3] for path in logs}
    return {name: numbers for name, numbers in found.items() if numbers}


@pytest.fixture(scope="session")
def webhooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.url = receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.url = receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def bank_api() -> Iterator[StandInBank]:
    stand_in = StandInBank()
    stand_in.url = stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def push_service() -> Iterator[WebhookReceiver]:
    """A push service on this machine: keeps what the platform pushes (RFC 8030)."""
    receiver = WebhookReceiver()
    receiver.url = receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack(
    webhooks: WebhookReceiver,
    sms_gateway: WebhookReceiver,
    mailbox: Mailbox,
    bank_api: StandInBank,
    push_service: WebhookReceiver,
) -> Iterator[Settings]:
    data_dir = REPO / ".sitepulse" / f"test-{os.getpid()}"
    # A short ClickHouse flush keeps the tests quick; the batching path is the same.
    # A one-second device credential cache makes a rotation observable in a test.
    # A one-second heartbeat lets a test see one without waiting 15 s.
    with ephemeral_stack(
        data_dir,
        SITEPULSE_SINK_FLUSH_S="0.2",
        SITEPULSE_DEVICE_CACHE_TTL_S="1",
        SITEPULSE_DAHUA_REFRESH_S="1",
        SITEPULSE_ROSTER_PUSH_S="1",
        # Fuzzing and load tests send far more from one device than a gate does; the rate
        # limit is tested with a device's own, low limit.
        SITEPULSE_DEVICE_REQUESTS_PER_MINUTE="1000000",
        SITEPULSE_ROSTER_RESEND_S="3",
        SITEPULSE_REALTIME_HEARTBEAT_S="1",
        SITEPULSE_ALERT_WEBHOOK_URL=webhooks.url,
        SITEPULSE_ALERT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        SITEPULSE_SMTP_HOST="127.0.0.1",
        SITEPULSE_SMTP_PORT=str(mailbox.port),
        SITEPULSE_SMS_GATEWAY_URL=sms_gateway.url,
        SITEPULSE_SMS_API_KEY="sms-test-key",
        SITEPULSE_BANK_API_URL=bank_api.url,
        # Every test logs in from 127.0.0.1 (schemathesis tries hundreds of bad logins);
        # the address limit is tested from another loopback address.
        SITEPULSE_LOGIN_ADDRESS_MAX_FAILURES="400",
        # The stand-in push service listens on this machine.
        SITEPULSE_PUSH_ALLOW_LOOPBACK="true",
    ) as settings:
        yield settings
        leaks = id_numbers_in_logs(settings)
        if leaks:
            pytest.fail(f"full ID numbers reached the process logs: {leaks}")


@pytest.fixture
async def http(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    base = f"http://{stack.bind_host}:{stack.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture
async def site(stack: Settings, http: httpx.AsyncClient) -> Site:
    """Two projects in two provinces; enterprise E takes part in project A only."""
    run = uuid.uuid4().hex[:8]
    project_a, project_b = f"A{run}", f"B{run}"
    code17 = f"91450100MA{int(run, 16) % 10**7:07d}"
    credit_code = code17 + uscc_check_character(code17)
    async with await AsyncConnection.connect(stack.postgres_dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO regions (code, name, level) VALUES ('450000', '广西', 'province'),"
            " ('450702', '钦南区', 'district'), ('110000', '北京', 'province'),"
            " ('110105', '朝阳区', 'district') ON CONFLICT DO NOTHING"
        )
        for project, region in ((project_a, "450702"), (project_b, "110105")):
            await conn.execute(
                "INSERT INTO projects (project_id, name, region_code) VALUES (%s, %s, %s)",
                (project, f"项目{project}", region),
            )
        cursor = await conn.execute(
            "INSERT INTO enterprises (credit_code, name, kind) VALUES (%s, %s,"
            " 'general_contractor') RETURNING enterprise_id",
            (credit_code, f"建工集团{run}"),
        )
        enterprise = (await cursor.fetchone() or (0,))[0]
        await conn.execute(
            "INSERT INTO project_enterprises VALUES (%s, %s, 'general_contractor')",
            (project_a, enterprise),
        )
        users = {
            "officer_a": (Role.LABOUR_OFFICER, project_a),
            "officer_b": (Role.LABOUR_OFFICER, project_b),
            "regulator_gx": (Role.REGULATOR, "450000"),
            "regulator_bj": (Role.REGULATOR, "110000"),
            "contractor": (Role.CONTRACTOR_ADMIN, str(enterprise)),
        }
        by_login = await staff_tokens(
            conn, http, {f"{name}-{run}": spec for name, spec in users.items()}
        )
    tokens = {name: by_login[f"{name}-{run}"] for name in users}
    logins = {name: f"{name}-{run}" for name in users}
    return Site(project_a, project_b, tokens, enterprise_id=int(enterprise), logins=logins)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    yield from open_browser()
