"""Slows down password guessing: failed logins counted per account and per client address
in Redis; past the limit an account is locked for a while (or until someone unlocks it)
and an address must wait.

Logins are hashed in the keys: an ID number is a login, and Redis is no place for it.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from infra.errors import TooManyAttemptsError
from infra.settings import Settings


def _digest(login: str) -> str:
    return hashlib.sha256(login.strip().upper().encode()).hexdigest()[:32]


class LoginGuard:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._prefix = f"{settings.namespace}login."
        self._max_failures = settings.login_max_failures
        self._lockout_s = settings.login_lockout_s
        self._address_max = settings.login_address_max_failures
        self._window_s = settings.login_window_s

    def _keys(self, login: str) -> tuple[str, str]:
        digest = _digest(login)
        return f"{self._prefix}fail.{digest}", f"{self._prefix}lock.{digest}"

    def _address_key(self, address: str) -> str:
        return f"{self._prefix}addr.{address}"

    async def check(self, login: str, address: str) -> None:
        """Raise :class:`TooManyAttemptsError` while the account or the address is locked."""
        _, lock = self._keys(login)
        locked_for = await self._redis.ttl(lock)
        if locked_for > 0:
            minutes = max(1, (locked_for + 59) // 60)
            raise TooManyAttemptsError(
                "too many failed logins: the account is locked",
                retry_after_s=locked_for,
                message_zh=f"密码错误次数过多，账号已锁定，请{minutes}分钟后再试或联系管理员解锁",
            )
        tries = await self._redis.get(self._address_key(address))
        if tries is not None and int(tries) >= self._address_max:
            wait = max(1, await self._redis.ttl(self._address_key(address)))
            raise TooManyAttemptsError(
                "too many failed logins from this address",
                retry_after_s=wait,
                message_zh="登录尝试过于频繁，请稍后再试",
            )

    async def failed(self, login: str, address: str) -> None:
        failures, lock = self._keys(login)
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(failures)
        pipe.expire(failures, self._window_s, nx=True)
        pipe.incr(self._address_key(address))
        pipe.expire(self._address_key(address), self._window_s, nx=True)
        count, *_ = await pipe.execute()
        if int(count) >= self._max_failures:
            await self._redis.set(lock, 1, ex=self._lockout_s)
            await self._redis.delete(failures)

    async def succeeded(self, login: str) -> None:
        failures, _ = self._keys(login)
        await self._redis.delete(failures)

    async def unlock(self, login: str) -> bool:
        """Lift a lock; whether there was one."""
        failures, lock = self._keys(login)
        removed = await self._redis.delete(lock, failures)
        return bool(removed)
