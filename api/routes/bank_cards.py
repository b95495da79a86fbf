"""A worker's wage card (工资卡): bind one, see it and its history, and replace it (重新绑卡)
under the platforms' rules: once a month, face verified, same issuing bank."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, Services
from api.identity import validate_bank_card
from api.payroll.cards import check_issuer, check_rebind
from api.stores.bank_cards import (
    CardView,
    active_card,
    bind_card,
    card_issuer,
    cards_of,
    eligible_banks,
    last_unbound_at,
)
from api.stores.enrolment import selfie_score
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError

router = APIRouter(tags=["payroll"])


class BindIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bank_code: str = Field(pattern=r"^[A-Z]{2,12}$")
    card_number: str = Field(min_length=12, max_length=32)
    agree: Literal[True] = Field(description="agrees to the card-binding agreement (绑卡协议)")


class RebindIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    card_number: str = Field(min_length=12, max_length=32)
    selfie_jpeg: str = Field(min_length=1, description="base64 JPEG: the worker's face now")
    agree: Literal[True]


class Cards(BaseModel):
    active: CardView | None
    history: list[CardView]
    rules_zh: list[str]


class PayrollBank(BaseModel):
    bank_code: str
    name_zh: str


_RULES_ZH = [
    "持卡人为实名登记的本人，不可修改",
    "每月最多解绑（重新绑卡）一次，重新绑卡须人脸核验",
    "重新绑卡仅支持原开卡银行的银行卡",
    "绑卡成功后新建的工资单向新卡发放，此前创建的工资单仍向原卡发放",
]


def _worker(who: Principal) -> int:
    if who.scope_kind is not ScopeKind.WORKER:
        raise ForbiddenError(
            "only a worker binds their own wage card", message_zh="仅工人本人可绑定工资卡"
        )
    return int(who.scope_id)


async def _cards(app: Services, worker_id: int) -> Cards:
    async with app.pool.connection() as conn:
        history = await cards_of(conn, worker_id)
    active = next((card for card in history if card.unbound_at is None), None)
    return Cards(active=active, history=history, rules_zh=_RULES_ZH)


@router.get("/v1/me/bank-cards", response_model=Cards)
async def get_cards(who: Caller, app: Services) -> Cards:
    """The bound card (masked) and every card bound before."""
    return await _cards(app, _worker(who))


@router.get("/v1/me/payroll-banks", response_model=list[PayrollBank])
async def get_payroll_banks(who: Caller, app: Services) -> list[PayrollBank]:
    """The banks the worker may choose: those of their projects' regions."""
    worker_id = _worker(who)
    async with app.pool.connection() as conn:
        codes = await eligible_banks(conn, worker_id)
        cursor = await conn.execute(
            "SELECT bank_code, name_zh FROM banks WHERE bank_code = ANY(%s) ORDER BY bank_code",
            (sorted(codes),),
        )
        return [PayrollBank(bank_code=code, name_zh=name) for code, name in await cursor.fetchall()]


@router.post("/v1/me/bank-card", status_code=201, response_model=Cards)
async def post_card(body: BindIn, who: Caller, app: Services) -> Cards:
    """The first card: the holder is the registered worker; the issuer must be the bank
    chosen and a wage-payment bank of the region."""
    worker_id = _worker(who)
    digits = validate_bank_card(body.card_number, field="card_number")
    async with app.pool.connection() as conn:
        if await active_card(conn, worker_id) is not None:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "card_number",
                        "a card is bound already: rebind to replace it",
                        "已绑定工资卡，如需更换请重新绑卡",
                    )
                ]
            )
        check_issuer(
            body.bank_code, await card_issuer(conn, digits), await eligible_banks(conn, worker_id)
        )
        await bind_card(
            conn, app.sealer, worker_id, body.bank_code, digits,
            replacing=None, face_score=None, actor=f"worker:{worker_id}",
        )  # fmt: skip
    return await _cards(app, worker_id)


@router.post("/v1/me/bank-card/rebind", response_model=Cards)
async def post_rebind(body: RebindIn, who: Caller, app: Services) -> Cards:
    """Replace the card: at most once a calendar month, only with a card of the same issuing
    bank, and only when the selfie matches the worker's enrolled face."""
    worker_id = _worker(who)
    digits = validate_bank_card(body.card_number, field="card_number")
    async with app.pool.connection() as conn:
        current = check_rebind(
            await active_card(conn, worker_id),
            await last_unbound_at(conn, worker_id),
            await card_issuer(conn, digits),
            datetime.now(UTC),
        )
        score = await selfie_score(
            conn, app.faces, worker_id, body.selfie_jpeg,
            max_bytes=app.settings.enrolment_photo_max_bytes,
        )  # fmt: skip
        if score < app.settings.face_threshold:
            raise ForbiddenError(
                f"the selfie does not match the enrolled face (score {score:.2f})",
                message_zh="人脸核验未通过，不能重新绑卡",
            )
        await bind_card(
            conn, app.sealer, worker_id, current.bank_code, digits,
            replacing=current, face_score=score, actor=f"worker:{worker_id}",
        )  # fmt: skip
    return await _cards(app, worker_id)
