"""Registering people by phone number, reading one roster entry, (de)activating it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import and_
from sqlmodel import col

from app.accounts.models import Account
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import ContextDep, SessionDep
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.phones import normalize_field
from app.roster import registration
from app.roster.schemas import MemberCreate, StatusChange
from app.roster.scopes import person_predicate
from app.tenancy.models import Membership
from app.tenancy.repository import list_members
from app.tenancy.schemas import MemberOut

router = APIRouter(tags=["members"])
PURPOSE = "teaching_management"

MemberCreateAccess = Annotated[Access, Depends(Authorize("member", "create", purpose=PURPOSE))]
MemberReadAccess = Annotated[Access, Depends(Authorize("member", "read", purpose=PURPOSE))]
MemberUpdateAccess = Annotated[Access, Depends(Authorize("member", "update", purpose=PURPOSE))]


def member_out(m: Membership, a: Account) -> MemberOut:
    return MemberOut(
        id=m.id,
        account_id=a.id,
        role=m.role,
        status=m.status,
        display_name=m.display_name or a.display_name,
        phone_masked=a.phone_masked,
        age_band=m.age_band,
        created_at=m.created_at,
        status_reason=m.status_reason,
        confirmed_at=m.confirmed_at,
    )


@router.post(
    "/v1/tenants/{slug}/members",
    response_model=MemberOut,
    status_code=201,
    responses={200: {"description": "already registered in this role: the same membership"}},
    description=(
        "Registers a person by phone number on the school's attestation of consent. "
        "An existing account (perhaps of another school) is linked, never duplicated. "
        "Idempotent: registering the same number in the same role again answers 200 with "
        "the existing membership and changes nothing (409 if that membership was "
        "deactivated or is disputed)."
    ),
)
async def register_member(
    body: MemberCreate,
    access: MemberCreateAccess,
    ctx: ContextDep,
    session: SessionDep,
    response: Response,
) -> MemberOut:
    region = ctx.settings.default_region
    e164 = normalize_field(body.phone, "phone", region)
    guardian = (
        normalize_field(body.guardian_phone, "guardian_phone", region)
        if body.guardian_phone
        else None
    )
    registration.check_registration(
        role=body.role,
        age_band=body.age_band,
        phone=e164,
        guardian_phone=guardian,
        consent=body.consent,
    )
    done = await registration.register(
        session,
        ctx.keys,
        access.tenant,
        access.account_id,
        e164=e164,
        role=body.role,
        display_name=body.display_name,
        age_band=body.age_band,
        guardian_e164=guardian,
        consent=body.consent,
    )
    await record_access(session, access, [done.account.id], detail={"created": done.created})
    if not done.created:
        response.status_code = 200
    return member_out(done.membership, done.account)


async def _visible_member(
    session: SessionDep, access: Access, member_id: str
) -> tuple[Membership, Account]:
    parsed = parse_id(member_id)
    rows = (
        await list_members(
            session,
            access.tenant_id,
            and_(person_predicate(access, Membership.account_id), col(Membership.id) == parsed),
            role=None,
            after=None,
            limit=1,
        )
        if parsed
        else []
    )
    if not rows:
        raise NotFound("no such member")
    return rows[0]


@router.get("/v1/tenants/{slug}/members/{member_id}", response_model=MemberOut)
async def read_member(member_id: str, access: MemberReadAccess, session: SessionDep) -> MemberOut:
    membership, account = await _visible_member(session, access, member_id)
    await record_access(session, access, [account.id])
    return member_out(membership, account)


@router.post("/v1/tenants/{slug}/members/{member_id}/deactivate", response_model=MemberOut)
async def deactivate_member(
    member_id: str, body: StatusChange, access: MemberUpdateAccess, session: SessionDep
) -> MemberOut:
    """Kept for the record with the reason; the person can no longer act in this school."""
    membership, account = await _visible_member(session, access, member_id)
    changed = registration.deactivate(membership, body.reason)
    await record_access(session, access, [account.id], detail={"deactivated": changed})
    return member_out(membership, account)


@router.post("/v1/tenants/{slug}/members/{member_id}/reactivate", response_model=MemberOut)
async def reactivate_member(
    member_id: str,
    access: MemberUpdateAccess,
    session: SessionDep,
    body: StatusChange | None = None,
) -> MemberOut:
    membership, account = await _visible_member(session, access, member_id)
    changed = registration.reactivate(membership, body.reason if body else None)
    await record_access(session, access, [account.id], detail={"reactivated": changed})
    return member_out(membership, account)
