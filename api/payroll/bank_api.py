"""Verifying a wage account with its bank: an adapter, so a real bank plugs in.

Without ``SITEPULSE_BANK_API_URL`` the account is verified by hand: the officer confirmed it
with their security password, and the record says who (``manual``). With it, SitePulse asks
the bank: ``POST <url>/accounts/verify`` with ``{bank_code, account_number, account_name}``;
the bank answers ``{"valid": true, "reference": "..."}`` or ``{"valid": false, "reason":
"..."}`` (the generic bank API; a bank with another protocol gets its own adapter).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from infra.errors import FieldProblem, InvalidInputError, UnavailableError


@dataclass(frozen=True)
class Verification:
    method: str  # manual or bank_api
    reference: str | None


async def verify_account(
    url: str | None, bank_code: str, account_number: str, account_name: str
) -> Verification:
    if not url:
        return Verification("manual", None)
    body = {"bank_code": bank_code, "account_number": account_number, "account_name": account_name}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(f"{url.rstrip('/')}/accounts/verify", json=body)
        verdict = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise UnavailableError(f"the bank's verification API did not answer: {exc}") from None
    if not isinstance(verdict, dict):
        raise UnavailableError(f"the bank's verification API answered {answer.status_code}")
    if verdict.get("valid") is not True:
        reason = str(verdict.get("reason") or "refused by the bank")[:200]
        raise InvalidInputError(
            [
                FieldProblem(
                    "account_number",
                    f"the bank refused the account: {reason}",
                    "银行校验未通过，请核对专户信息",
                )
            ]
        )
    return Verification("bank_api", str(verdict.get("reference") or "")[:128] or None)
