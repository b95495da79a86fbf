"""What a dashboard may subscribe to, and the first message that asks for it (pure rules).

Channels are ``project:<id>``, ``region:<code>`` and ``worker:<id>``. A client's first message
is ``{"type": "subscribe", "token": "<API token>", "channel": "...", "last_event_id": ...}``;
anything else closes the connection with a 44xx code and the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from api.auth.principal import Principal, Role, ScopeKind
from infra.errors import AuthenticationError, FieldProblem, ForbiddenError, InvalidInputError
from streams.regions import region_prefix

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_REGION = re.compile(r"^\d{6}$")
CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN = 4400, 4401, 4403


class ChannelKind(StrEnum):
    PROJECT = "project"
    REGION = "region"
    WORKER = "worker"


@dataclass(frozen=True)
class Channel:
    kind: ChannelKind
    key: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"


@dataclass(frozen=True)
class SubscribeRequest:
    token: str
    channel: Channel
    last_event_id: str | None


def _bad(field: str, reason: str, zh: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(field, reason, zh)])


def parse_channel(text: str) -> Channel:
    kind, _, key = text.partition(":")
    try:
        channel = Channel(ChannelKind(kind), key)
    except ValueError:
        raise _bad(
            "channel", "must be project:<id>, region:<code> or worker:<id>", "频道格式不正确"
        ) from None
    pattern = _REGION if channel.kind is ChannelKind.REGION else _ID
    if not pattern.match(key):
        raise _bad("channel", f"{kind} id {key!r} is not valid", "频道编号不正确")
    return channel


def parse_subscribe(raw: str | bytes) -> SubscribeRequest:
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad("message", "the first message must be JSON", "首条消息应为 JSON") from None
    if not isinstance(message, dict) or message.get("type") != "subscribe":
        raise _bad("type", 'the first message must be {"type": "subscribe", ...}', "请先订阅")
    token, channel, last = (
        message.get("token"),
        message.get("channel"),
        message.get("last_event_id"),
    )
    if not isinstance(token, str) or not token:
        raise _bad("token", "required: the API bearer token", "缺少登录令牌")
    if not isinstance(channel, str):
        raise _bad("channel", "required", "缺少频道")
    if last is not None and not (isinstance(last, str) and _ID.match(last)):
        raise _bad("last_event_id", "must be an event id", "事件编号不正确")
    return SubscribeRequest(token, parse_channel(channel), last)


async def authorize(
    who: Principal,
    channel: Channel,
    *,
    can_see_project: Callable[[Principal, str], Awaitable[bool]],
    can_see_worker: Callable[[Principal, int], Awaitable[bool]],
) -> None:
    """Raise :class:`ForbiddenError` unless ``who`` may watch ``channel``."""
    if who.must_change_password:
        raise AuthenticationError("change the initial password first")
    if channel.kind is ChannelKind.PROJECT:
        if not await can_see_project(who, channel.key):
            raise ForbiddenError(f"project {channel.key} is outside your scope")
    elif channel.kind is ChannelKind.REGION:
        covered = (
            who.role is Role.REGULATOR
            and who.scope_kind is ScopeKind.REGION
            and region_prefix(channel.key).startswith(region_prefix(who.scope_id))
        )
        if not covered:
            raise ForbiddenError(f"region {channel.key} is outside your scope")
    else:
        if who.scope_kind is ScopeKind.WORKER:
            if who.scope_id != channel.key:
                raise ForbiddenError("a worker may watch only their own channel")
        elif not (channel.key.isascii() and channel.key.isdigit()) or not await can_see_worker(
            who, int(channel.key)
        ):
            raise ForbiddenError(f"worker {channel.key} is outside your scope")


def region_channels(region_code: str) -> list[str]:
    """The region channels a project's updates go to: its province, city and district."""
    codes = {region_code[:2] + "0000", region_code[:4] + "00", region_code}
    return [f"region:{code}" for code in sorted(codes)]
