"""Entry invitations (入场邀请): a project invites a registered worker, who sees the project
and its enterprises in the app and declines, or accepts with the use of their data
authorised and their live face."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.auth.guards import actor_of, require_registrar, require_visible_project
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, RowId, Services, TextId
from api.envelopes import Items
from api.mobile.live_face import LiveFrames, check_live_face
from api.stores.invitations import InvitationIn, InvitationView, invitations_of, invite, respond
from infra.errors import FieldProblem, ForbiddenError, InvalidInputError

router = APIRouter(tags=["invitations"])


def _worker_of(who: Principal) -> int:
    if who.scope_kind is not ScopeKind.WORKER:
        raise ForbiddenError("only the invited worker can see or answer invitations")
    return int(who.scope_id)


@router.post(
    "/v1/projects/{project_id}/invitations", status_code=201, response_model=InvitationView
)
async def post_invitation(
    project_id: TextId, body: InvitationIn, who: Caller, app: Services
) -> InvitationView:
    require_registrar(who, "make this request")
    async with app.pool.connection() as conn:
        await require_visible_project(conn, who, project_id)
        return await invite(conn, project_id, body, actor=actor_of(who))


@router.get("/v1/me/invitations", response_model=Items[InvitationView])
async def get_my_invitations(who: Caller, app: Services) -> Items[InvitationView]:
    worker_id = _worker_of(who)
    async with app.pool.connection() as conn:
        return Items[InvitationView](items=await invitations_of(conn, worker_id))


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authorize_data: bool = Field(
        description="the worker authorises the project to use their real-name and bank card"
        " data (实名信息和银行卡信息授权)"
    )
    selfie_jpegs: LiveFrames


@router.post("/v1/invitations/{invitation_id:int}/accept", response_model=InvitationView)
async def accept_invitation(
    invitation_id: RowId, body: AcceptIn, who: Caller, app: Services
) -> InvitationView:
    """Join the project: with the data authorised and the worker's live face confirmed."""
    worker_id = _worker_of(who)
    if not body.authorize_data:
        raise InvalidInputError(
            [
                FieldProblem(
                    "authorize_data",
                    "joining needs the authorisation to use the real-name and card data",
                    "加入项目须同意授权使用您的实名信息和银行卡信息",
                )
            ]
        )
    async with app.pool.connection() as conn:
        face = await check_live_face(conn, app, worker_id, body.selfie_jpegs)
        return await respond(conn, invitation_id, worker_id, accept=True, face_score=face.score)


@router.post("/v1/invitations/{invitation_id:int}/decline", response_model=InvitationView)
async def decline_invitation(invitation_id: RowId, who: Caller, app: Services) -> InvitationView:
    async with app.pool.connection() as conn:
        return await respond(conn, invitation_id, _worker_of(who), accept=False)
