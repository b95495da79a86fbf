"""Pre-shift QR sign-in (班前签到, as Shanghai's platform does it), both ways round:

- the worker shows their personal code (个人建设码) and the sign-in officer scans one
  worker after another;
- the officer shows the project's sign-in code and each worker scans it.

Codes last two minutes and sign a worker in once. The scanning phone must be inside the
project's fence (the one mobile clock-in uses). Each sign-in is a pass (``method: qr``).
A scan sends the code's text, or the camera frame it is in (the server reads the QR).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from api.auth.guards import actor_of, own_worker_id, require_project_in_scope, require_registrar
from api.dependencies import AppServices, Caller, Services, TextId
from api.mobile.clock_in import Attempt, place_problems
from api.mobile.passes import phone_pass
from api.mobile.place import PhonePlace
from api.mobile.qr_images import qr_svg, read_qr
from api.mobile.sign_in_codes import CodeKind, SignInCode, code_key, issue_code, read_code
from api.stores.enrolment import decode_photos
from api.stores.mobile_clock_ins import fence_of, is_on_roster
from api.stores.qr_sign_ins import (
    code_used,
    last_sign_in,
    record_sign_in,
    used_code,
    worker_name,
)
from api.stores.training import require_access_training
from infra.errors import FieldProblem, InvalidInputError
from infra.settings import Settings
from streams.records import Direction, PassMethod

router = APIRouter(tags=["QR sign-in"])


class CodeView(BaseModel):
    code: str = Field(description="the text the QR code holds")
    expires_at: datetime
    qr_svg: str = Field(description="the QR code, an inline SVG")


class ScanIn(PhonePlace):
    """What the scanning phone saw (the code's text, or the camera frame it is in) and
    where it stands."""

    code: str | None = Field(default=None, min_length=1, max_length=200)
    frame_jpeg: str | None = Field(default=None, min_length=1, description="base64 JPEG")

    @model_validator(mode="after")
    def one_source(self) -> ScanIn:
        if (self.code is None) == (self.frame_jpeg is None):
            raise ValueError("give either code or frame_jpeg")
        return self


class SignInView(BaseModel):
    event_id: str
    project_id: str
    worker_id: int
    worker_name: str
    signed_in_at: datetime
    message_zh: str


def _key(settings: Settings) -> bytes:
    assert settings.token_secret is not None  # the API refuses to start without it
    return code_key(settings.token_secret)


def _view(text: str, expires_at: datetime) -> CodeView:
    return CodeView(code=text, expires_at=expires_at, qr_svg=qr_svg(text))


async def _scanned(body: ScanIn, settings: Settings, expect: CodeKind) -> SignInCode:
    text = body.code
    if body.frame_jpeg is not None:
        [frame] = decode_photos([body.frame_jpeg], max_bytes=settings.enrolment_photo_max_bytes)
        text = await asyncio.to_thread(read_qr, frame)
        if text is None:
            raise InvalidInputError(
                [
                    FieldProblem(
                        "frame_jpeg", "holds no readable QR code", "未识别到二维码，请对准后重试"
                    )
                ]
            )
    assert text is not None
    return read_code(_key(settings), text, datetime.now(UTC), expect=expect)


@router.get("/v1/me/personal-code", response_model=CodeView)
async def get_personal_code(who: Caller, app: Services) -> CodeView:
    """The worker's personal code (个人建设码), for the sign-in officer to scan."""
    worker_id = own_worker_id(who)
    now = datetime.now(UTC)
    text, expires_at = issue_code(_key(app.settings), CodeKind.WORKER, str(worker_id), now)
    return _view(text, expires_at)


@router.get("/v1/projects/{project_id}/sign-in-code", response_model=CodeView)
async def get_sign_in_code(project_id: TextId, who: Caller, app: Services) -> CodeView:
    """The project's sign-in code, shown by the sign-in officer for workers to scan."""
    require_registrar(who, "show a project's sign-in code")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
        if await fence_of(conn, project_id) is None:
            raise _no_fence()
    now = datetime.now(UTC)
    text, expires_at = issue_code(_key(app.settings), CodeKind.PROJECT, project_id, now)
    return _view(text, expires_at)


@router.post("/v1/me/qr-sign-ins", status_code=201, response_model=SignInView)
async def post_my_sign_in(body: ScanIn, who: Caller, app: Services) -> SignInView:
    """The worker scanned the project's sign-in code."""
    worker_id = own_worker_id(who)
    code = await _scanned(body, app.settings, CodeKind.PROJECT)
    actor = f"worker:{worker_id}"
    return await _sign_in(app, body, code.subject, worker_id, code, "worker", actor)


@router.post("/v1/projects/{project_id}/qr-sign-ins", status_code=201, response_model=SignInView)
async def post_officer_sign_in(
    project_id: TextId, body: ScanIn, who: Caller, app: Services
) -> SignInView:
    """The sign-in officer scanned a worker's personal code."""
    require_registrar(who, "sign workers in")
    async with app.pool.connection() as conn:
        await require_project_in_scope(conn, who, project_id)
    code = await _scanned(body, app.settings, CodeKind.WORKER)
    return await _sign_in(app, body, project_id, int(code.subject), code, "officer", actor_of(who))


async def _sign_in(
    app: AppServices,
    body: ScanIn,
    project_id: str,
    worker_id: int,
    code: SignInCode,
    scanned_by: str,
    actor: str,
) -> SignInView:
    now = datetime.now(UTC)
    async with app.pool.connection() as conn:
        if not await is_on_roster(conn, worker_id, project_id):
            raise InvalidInputError(
                [
                    FieldProblem(
                        "code",
                        "the worker is not on this project's roster",
                        "该工人不在本项目花名册中",
                    )
                ]
            )
        await require_access_training(conn, worker_id, project_id, field="code")
        if await code_used(conn, code.nonce, worker_id):
            raise used_code()
        found = await fence_of(conn, project_id)
        if found is None:
            raise _no_fence()
        problems = place_problems(
            Attempt(body.point, body.accuracy_m, now),
            found.fence,
            max_accuracy_m=found.max_accuracy_m,
            now=now,
            last=await last_sign_in(conn, worker_id, project_id),
        )
        if problems:
            raise InvalidInputError(problems)
        event = phone_pass(project_id, worker_id, Direction.IN, PassMethod.QR, now)
        await record_sign_in(
            conn, event, nonce=code.nonce, scanned_by=scanned_by, actor=actor,
            point=body.point, accuracy_m=body.accuracy_m,
        )  # fmt: skip
        name = await worker_name(conn, worker_id)
    return SignInView(
        event_id=event.event_id,
        project_id=project_id,
        worker_id=worker_id,
        worker_name=name,
        signed_in_at=now,
        message_zh=f"{name} 班前签到成功",
    )


def _no_fence() -> InvalidInputError:
    return InvalidInputError(
        [
            FieldProblem(
                "project_id",
                "the project has no fence (PUT /v1/projects/{id}/clock-in-fence)",
                "该项目尚未设置打卡范围（电子围栏），不能扫码签到",
            )
        ]
    )
