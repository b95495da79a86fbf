"""Entry invitations: a project invites a registered worker, who accepts or declines."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth.guards import actor_of, require_registrar, require_visible_project
from api.auth.principal import Principal, ScopeKind
from api.dependencies import Caller, RowId, Services, TextId
from api.envelopes import Items
from api.stores.invitations import InvitationIn, InvitationView, invitations_of, invite, respond
from infra.errors import ForbiddenError

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


@router.post("/v1/invitations/{invitation_id:int}/accept", response_model=InvitationView)
async def accept_invitation(invitation_id: RowId, who: Caller, app: Services) -> InvitationView:
    async with app.pool.connection() as conn:
        return await respond(conn, invitation_id, _worker_of(who), accept=True)


@router.post("/v1/invitations/{invitation_id:int}/decline", response_model=InvitationView)
async def decline_invitation(invitation_id: RowId, who: Caller, app: Services) -> InvitationView:
    async with app.pool.connection() as conn:
        return await respond(conn, invitation_id, _worker_of(who), accept=False)
