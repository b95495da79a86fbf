"""The worker app's inbox (消息通知), the kinds of notice a worker wants, and the Web Push
subscriptions of their installed app. All are the worker's own: other roles get 403."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from alerts.audience import NOTICE_KIND_ZH, NoticeKind
from alerts.inbox import inbox_page, mark_read, notice_settings, save_notice_settings
from alerts.web_push import (
    PushSubscription,
    application_server_key,
    check_subscription,
    remove_subscription,
    save_subscription,
)
from api.auth.guards import own_worker_id
from api.dependencies import Caller, Paging, Services
from infra.errors import NotFoundError

router = APIRouter(tags=["worker app"])


class NoticeView(BaseModel):
    notice_id: int
    kind: str
    kind_zh: str
    title_zh: str
    body_zh: str
    project_id: str | None
    created_at: datetime
    read: bool


class InboxView(BaseModel):
    total: int = Field(description="notices in the inbox (unread ones with unread_only)")
    unread: int
    offset: int
    limit: int
    notices: list[NoticeView]


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_ids: list[int] | None = Field(
        default=None, max_length=500, description="these notices; omitted: all of them"
    )


class ReadView(BaseModel):
    marked: int
    unread: int


class NoticeSettingsView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    muted: list[NoticeKind] = Field(description="the kinds of notice turned off")


class PushKeyView(BaseModel):
    application_server_key: str = Field(description="VAPID public key, base64url")


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class SubscriptionIn(BaseModel):
    """As the browser's ``PushSubscription.toJSON()`` gives it."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=1, max_length=1000)
    keys: PushKeys


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1, max_length=1000)


@router.get("/v1/me/notices", response_model=InboxView)
async def get_notices(
    who: Caller,
    app: Services,
    page: Paging,
    unread_only: Annotated[bool, Query(description="only the unread ones")] = False,
) -> InboxView:
    """The worker's notices, newest first, kept whether or not the app was open."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        found = await inbox_page(
            conn, worker_id, unread_only=unread_only, offset=page.offset, limit=page.limit
        )
    notices = [
        NoticeView(
            notice_id=n.notice_id,
            kind=n.kind,
            kind_zh=NOTICE_KIND_ZH.get(NoticeKind(n.kind), n.kind),
            title_zh=n.title_zh,
            body_zh=n.body_zh,
            project_id=n.project_id,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in found.notices
    ]
    return InboxView(
        total=found.total,
        unread=found.unread,
        offset=page.offset,
        limit=page.limit,
        notices=notices,
    )


@router.post("/v1/me/notices/read", response_model=ReadView)
async def post_read(body: ReadIn, who: Caller, app: Services) -> ReadView:
    """Mark notices read (all of them when none are named)."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        marked = await mark_read(conn, worker_id, body.notice_ids)
        left = await inbox_page(conn, worker_id, unread_only=True, offset=0, limit=1)
    return ReadView(marked=marked, unread=left.unread)


@router.get("/v1/me/notice-settings", response_model=NoticeSettingsView)
async def get_notice_settings(who: Caller, app: Services) -> NoticeSettingsView:
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        muted = await notice_settings(conn, worker_id)
    return NoticeSettingsView(muted=[NoticeKind(kind) for kind in muted])


@router.put("/v1/me/notice-settings", response_model=NoticeSettingsView)
async def put_notice_settings(
    body: NoticeSettingsView, who: Caller, app: Services
) -> NoticeSettingsView:
    """The kinds of notice the worker does not want (neither in the inbox nor pushed)."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        muted = await save_notice_settings(conn, worker_id, body.muted)
    return NoticeSettingsView(muted=[NoticeKind(kind) for kind in muted])


@router.get("/v1/push/key", response_model=PushKeyView)
async def get_push_key(who: Caller, app: Services) -> PushKeyView:
    """The key the app subscribes to Web Push with."""
    own_worker_id(who)
    key = app.settings.vapid_private_key
    if key is None:
        raise NotFoundError("Web Push is not configured (SITEPULSE_VAPID_PRIVATE_KEY)")
    return PushKeyView(application_server_key=application_server_key(key))


@router.post("/v1/me/push-subscriptions", status_code=204)
async def post_subscription(body: SubscriptionIn, who: Caller, app: Services) -> None:
    """Keep the installed app's push subscription: notices are pushed to it from now on."""
    worker_id = own_worker_id(who)
    subscription = PushSubscription(body.endpoint, body.keys.p256dh, body.keys.auth)
    check_subscription(subscription, allow_loopback=app.settings.push_allow_loopback)
    async with app.pool.connection() as conn:
        await save_subscription(conn, worker_id, subscription)


@router.post("/v1/me/push-subscriptions/remove", status_code=204)
async def post_remove_subscription(body: EndpointIn, who: Caller, app: Services) -> None:
    """Stop pushing to this app (the worker turned push off, or logged out)."""
    worker_id = own_worker_id(who)
    async with app.pool.connection() as conn:
        if not await remove_subscription(conn, worker_id, body.endpoint):
            raise NotFoundError("no such push subscription")
