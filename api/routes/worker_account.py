"""The worker's own account in the app: binding a phone with an SMS code (绑定手机号; the
phone then logs in too), and the user agreement accepted once (用户协议)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import httpx
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from alerts.notify import HttpSmsGateway
from api.auth.guards import own_worker_id
from api.dependencies import AppServices, Caller, Services
from api.identity import mask_mobile, validate_mobile
from api.mobile import agreement
from api.mobile.sms_codes import CODE_TTL_S, RESEND_AFTER_S, PhoneCodes, code_text
from api.stores.agreements import accept, accepted_at
from api.stores.worker_phones import BoundPhone, bind_phone, bound_phone, refuse_taken
from infra.errors import ConflictError, UnavailableError

router = APIRouter(tags=["worker account"])
log = logging.getLogger(__name__)


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=32)


class PhoneCodeIn(PhoneIn):
    code: str = Field(pattern=r"^\d{6}$", description="the six digits of the SMS")


class CodeSent(BaseModel):
    sent_to: str = Field(description="the phone, masked")
    expires_in_s: int
    resend_after_s: int


class AgreementView(BaseModel):
    version: str
    title_zh: str
    text_zh: str
    accepted_at: datetime | None


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=32)


def _codes(app: AppServices) -> PhoneCodes:
    assert app.settings.token_secret is not None  # create_app insists on it
    return PhoneCodes(app.redis, app.settings.namespace, app.settings.token_secret)


@router.get("/v1/me/phone", response_model=BoundPhone)
async def get_phone(who: Caller, app: Services) -> BoundPhone:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        return await bound_phone(conn, worker_id)


@router.post("/v1/me/phone/code", status_code=202, response_model=CodeSent)
async def send_code(body: PhoneIn, who: Caller, app: Services) -> CodeSent:
    """Text a six-digit code to the phone (one a minute; it lasts five minutes)."""
    worker_id = own_worker_id(who)
    phone = validate_mobile(body.phone)
    async with app.pool.connection() as conn:
        await refuse_taken(conn, app.sealer, worker_id, phone)
    url = app.settings.sms_gateway_url
    if url is None:
        raise UnavailableError("no SMS gateway is configured (SITEPULSE_SMS_GATEWAY_URL)")
    codes = _codes(app)
    code = await codes.issue(worker_id, phone)
    gateway = HttpSmsGateway(url, app.settings.sms_api_key)
    try:
        await asyncio.to_thread(gateway.send, phone, code_text(code))
    except httpx.HTTPError as exc:
        await codes.withdraw(worker_id)
        log.warning("SMS gateway failed for worker %s: %s", worker_id, type(exc).__name__)
        raise UnavailableError("the SMS gateway did not take the message") from None
    return CodeSent(
        sent_to=mask_mobile(phone), expires_in_s=CODE_TTL_S, resend_after_s=RESEND_AFTER_S
    )


@router.put("/v1/me/phone", response_model=BoundPhone)
async def put_phone(body: PhoneCodeIn, who: Caller, app: Services) -> BoundPhone:
    """Bind the phone the code was sent to; it then logs in as well as the ID number."""
    worker_id = own_worker_id(who)
    phone = validate_mobile(body.phone)
    await _codes(app).redeem(worker_id, phone, body.code)
    async with app.pool.connection() as conn:
        return await bind_phone(conn, app.sealer, worker_id, phone)


@router.get("/v1/me/agreement", response_model=AgreementView)
async def get_agreement(who: Caller, app: Services) -> AgreementView:
    async with app.pool.connection() as conn:
        return _agreement(await accepted_at(conn, who.user_id, agreement.VERSION))


@router.post("/v1/me/agreement", response_model=AgreementView)
async def post_agreement(body: AcceptIn, who: Caller, app: Services) -> AgreementView:
    """Accept the current version (the one the page showed)."""
    if body.version != agreement.VERSION:
        raise ConflictError(
            f"the current agreement is version {agreement.VERSION}",
            message_zh="用户协议已更新，请重新阅读后同意",
        )
    async with app.pool.connection() as conn:
        return _agreement(await accept(conn, who.user_id, agreement.VERSION))


def _agreement(accepted: datetime | None) -> AgreementView:
    return AgreementView(
        version=agreement.VERSION,
        title_zh=agreement.TITLE_ZH,
        text_zh=agreement.TEXT_ZH,
        accepted_at=accepted,
    )
