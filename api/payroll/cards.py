"""The rules of wage cards (工资卡), as the provincial platforms state them (pure).

- The holder is the registered worker; the name is never typed in.
- The number passes the Luhn check; its issuer (by BIN) is the bank chosen, and a bank the
  region accepts for wage payment.
- A card, once bound, is only replaced by a rebind: at most one per calendar month, after
  the worker's face matched their enrolment, and only to a card of the same issuing bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.errors import FieldProblem, InvalidInputError
from streams.local_time import BEIJING


@dataclass(frozen=True)
class ActiveCard:
    card_id: int
    bank_code: str
    bound_at: datetime


def _refuse(field: str, reason: str, zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, reason, zh)])


def check_issuer(chosen_bank: str, issuer: str | None, eligible: set[str]) -> None:
    """The card's issuing bank (from its BIN) must be the one chosen, and eligible."""
    if issuer is None:
        raise _refuse("card_number", "unknown card issuer (BIN)", "无法识别该卡的发卡银行")
    if issuer != chosen_bank:
        raise _refuse(
            "card_number",
            f"the card is issued by {issuer}, not {chosen_bank}",
            "卡号与所选银行不一致",
        )
    if issuer not in eligible:
        raise _refuse(
            "bank_code",
            f"{issuer} is not a wage-payment bank of the worker's region",
            "该银行不是本地区的工资代发银行",
        )


def same_month(a: datetime, b: datetime) -> bool:
    """In the same Beijing calendar month."""
    la, lb = a.astimezone(BEIJING), b.astimezone(BEIJING)
    return (la.year, la.month) == (lb.year, lb.month)


def check_rebind(
    active: ActiveCard | None,
    last_unbound_at: datetime | None,
    new_issuer: str | None,
    now: datetime,
) -> ActiveCard:
    """May the worker replace their card now, with one of ``new_issuer``? Returns the card
    being replaced. (The face check comes after, on the selfie.)"""
    if active is None:
        raise _refuse(
            "card_number", "no card is bound yet: bind one first", "尚未绑定工资卡，请先绑卡"
        )
    if last_unbound_at is not None and same_month(last_unbound_at, now):
        raise _refuse(
            "card_number",
            "a card may be replaced at most once a calendar month",
            "每月最多只能解绑（重新绑卡）一次",
        )
    if new_issuer != active.bank_code:
        raise _refuse(
            "card_number",
            f"a rebind must stay with the issuing bank {active.bank_code}",
            "重新绑卡仅支持原开卡银行的银行卡",
        )
    return active
