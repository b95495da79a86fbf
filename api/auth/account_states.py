"""Ends a person's tokens at once when their account changes.

A token is a signed copy of what the account was at login: its role, scope and
``token_version``. Disabling the account or changing its password or role bumps the
version in PostgreSQL; every request's token is compared with the account as it is now
(cached for ``token_check_ttl_s``), and a token that no longer matches gets 401.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth.principal import Principal
from api.auth.tokens import TokenIssuer
from infra.asgi_reply import send_error
from infra.errors import AuthenticationError

_MAX_CACHED = 50_000


@dataclass(frozen=True)
class AccountState:
    role: str
    scope_id: str
    token_version: int
    disabled: bool


class AccountStates:
    def __init__(self, pool: AsyncConnectionPool[Any], *, ttl_s: float) -> None:
        self._pool = pool
        self._ttl_s = ttl_s
        self._cache: dict[int, tuple[float, AccountState | None]] = {}

    async def state_of(self, user_id: int) -> AccountState | None:
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT role, scope_id, token_version, disabled_at IS NOT NULL FROM users"
                " WHERE user_id = %s",
                (user_id,),
            )
            row = await cursor.fetchone()
        state = None if row is None else AccountState(row[0], row[1], int(row[2]), bool(row[3]))
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[user_id] = (now + self._ttl_s, state)
        return state

    def forget(self, user_id: int) -> None:
        """This process changed the account: the next request reads it afresh."""
        self._cache.pop(user_id, None)

    async def check(self, who: Principal) -> None:
        """Raise :class:`AuthenticationError` unless the token still matches its account."""
        state = await self.state_of(who.user_id)
        if state is None or state.disabled:
            raise AuthenticationError("the account is disabled", message_zh="账号已停用")
        if (
            state.token_version != who.token_version
            or state.role != who.role.value
            or state.scope_id != who.scope_id
        ):
            raise AuthenticationError(
                "the token was issued before the account's password or role changed",
                message_zh="登录已失效，请重新登录",
            )


class RevokedTokens:
    """ASGI middleware: a bearer token whose account no longer matches it gets 401.

    Tokens that do not verify at all are left to the routes, which say why. Tokens of
    user 0 are the live viewers' (tools and tests) and belong to no account."""

    def __init__(self, app: ASGIApp, *, tokens: TokenIssuer, states: AccountStates) -> None:
        self.app = app
        self.tokens = tokens
        self.states = states

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            kind, _, token = header.partition(" ")
            if kind.lower() == "bearer" and token.strip():
                try:
                    who = self.tokens.verify(token.strip())
                except AuthenticationError:
                    who = None
                if who is not None and who.user_id != 0:
                    try:
                        await self.states.check(who)
                    except AuthenticationError as refusal:
                        reason, zh = str(refusal), refusal.message_zh or "请重新登录"
                        await send_error(send, 401, "unauthorized", reason, zh)
                        return
        await self.app(scope, receive, send)
