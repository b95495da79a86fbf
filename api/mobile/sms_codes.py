"""SMS verification codes (短信验证码) for binding a worker's phone: six digits, good for
five minutes and five tries, one sent a minute at most. Kept in Redis only as a keyed
digest of the phone and code, never as the code itself."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from redis.asyncio import Redis

from infra.errors import FieldProblem, InvalidInputError, TooManyAttemptsError

CODE_TTL_S = 300
RESEND_AFTER_S = 60
MAX_TRIES = 5


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_text(code: str) -> str:
    """The SMS the worker receives."""
    return f"【SitePulse】您正在绑定手机号，验证码{code}，5分钟内有效。如非本人操作，请忽略本短信。"


class PhoneCodes:
    """The codes sent and not yet used, one per worker."""

    def __init__(self, redis: Redis, namespace: str, secret: str) -> None:
        self._redis = redis
        self._prefix = f"{namespace}phone-code."
        self._key = hashlib.sha256(b"phone-code" + secret.encode()).digest()

    def _digest(self, phone: str, code: str) -> str:
        return hmac.new(self._key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, worker_id: int, phone: str) -> str:
        """A new code for the phone (the previous one ends); 429 within a minute of the last."""
        if not await self._redis.set(
            f"{self._prefix}sent.{worker_id}", 1, nx=True, ex=RESEND_AFTER_S
        ):
            raise TooManyAttemptsError(
                "a code was sent less than a minute ago",
                retry_after_s=RESEND_AFTER_S,
                message_zh="验证码已发送，请1分钟后再获取",
            )
        code = new_code()
        key = f"{self._prefix}{worker_id}"
        await self._redis.delete(key)
        await self._redis.hset(key, mapping={"digest": self._digest(phone, code), "tries": 0})
        await self._redis.expire(key, CODE_TTL_S)
        return code

    async def withdraw(self, worker_id: int) -> None:
        """Forget the code (it could not be sent): the worker may ask again at once."""
        await self._redis.delete(f"{self._prefix}{worker_id}", f"{self._prefix}sent.{worker_id}")

    async def redeem(self, worker_id: int, phone: str, code: str) -> None:
        """Use the code for this phone, or raise :class:`InvalidInputError` saying why not."""
        key = f"{self._prefix}{worker_id}"
        tries = await self._redis.hincrby(key, "tries", 1)
        stored = await self._redis.hget(key, "digest")
        if stored is None or tries > MAX_TRIES:
            await self._redis.delete(key)
            raise InvalidInputError(
                [
                    FieldProblem(
                        "code", "no valid code: ask for a new one", "验证码已失效，请重新获取"
                    )
                ]
            )
        expected = stored.decode() if isinstance(stored, bytes) else str(stored)
        if not hmac.compare_digest(expected, self._digest(phone, code)):
            raise InvalidInputError(
                [
                    FieldProblem(
                        "code", "wrong code (or another phone)", "验证码错误，请核对后重新输入"
                    )
                ]
            )
        await self._redis.delete(key)
