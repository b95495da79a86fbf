"""Face login (刷脸登录) and forgot-password by face (刷脸找回密码) for workers: the login
(ID number or bound phone) and two live camera frames matched against the enrolled face.
Failures count against the account and the address like wrong passwords; an unknown
account and another person's face get the same answer, so logins cannot be probed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth.passwords import check_new_password
from api.auth.principal import Principal
from api.dependencies import AppServices, Services
from api.errors import problem_responses
from api.mobile.live_face import LiveFrames, live_picture, match_worker
from api.routes.auth import TokenView
from api.stores.accounts import reset_password, worker_account
from api.stores.worker_phones import resolve_login
from infra.errors import AuthenticationError, InvalidInputError

router = APIRouter(tags=["accounts"])


def _not_matched() -> AuthenticationError:
    return AuthenticationError(
        "no activated worker account with this login matches this face",
        message_zh="刷脸核验未通过：账号未激活或与登记人脸不一致（首次登录请使用身份证号和初始密码）",
    )


class FaceLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=128, description="ID number or bound phone")
    selfie_jpegs: LiveFrames


class FaceResetIn(FaceLoginIn):
    new_password: str = Field(min_length=1, max_length=256)


async def _face_account(body: FaceLoginIn, request: Request, app: AppServices) -> Principal:
    address = request.client.host if request.client else "unknown"
    await app.login_guard.check(body.login, address)
    picture = await live_picture(app, body.selfie_jpegs)  # judged before any account is read
    async with app.pool.connection() as conn:
        who = await worker_account(conn, await resolve_login(conn, app.sealer, body.login))
        try:
            if who is None:
                raise _not_matched()
            await match_worker(conn, app, int(who.scope_id), picture)
        except (InvalidInputError, AuthenticationError):
            await app.login_guard.failed(body.login, address)
            raise _not_matched() from None
    await app.login_guard.succeeded(body.login)
    return who


@router.post(
    "/v1/auth/face-login", response_model=TokenView, responses=problem_responses(401, 413, 422, 429)
)
async def face_login(body: FaceLoginIn, request: Request, app: Services) -> TokenView:
    who = await _face_account(body, request, app)
    return TokenView(
        token=app.tokens.issue(who),
        role=who.role.value,
        must_change_password=who.must_change_password,
    )


@router.post(
    "/v1/auth/password-reset",
    response_model=TokenView,
    responses=problem_responses(401, 413, 422, 429),
)
async def password_reset(body: FaceResetIn, request: Request, app: Services) -> TokenView:
    """A forgotten password replaced after the face check; earlier tokens end."""
    check_new_password(body.new_password)
    who = await _face_account(body, request, app)
    async with app.pool.connection() as conn:
        updated = await reset_password(conn, who, body.new_password)
    app.account_states.forget(who.user_id)
    return TokenView(
        token=app.tokens.issue(updated), role=updated.role.value, must_change_password=False
    )
