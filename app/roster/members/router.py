"""The school's roster of people: list, register by phone number, read, (de)activate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from app.accounts.deps import CurrentAccount
from app.accounts.models import Account
from app.authz.access import Access
from app.authz.audit import record, record_access
from app.authz.deps import Authorize
from app.core.deps import ContextDep, SessionDep
from app.core.errors import Invalid, problem
from app.core.pagination import Page, PageParams, page_params
from app.core.phones import normalize_field
from app.core.vocabulary import Action, Purpose, RecordKind, Role
from app.roster.members import learners, service
from app.roster.schemas import ChildPhone, MemberCreate, MemberOut, OwnPhone, StatusChange
from app.tenancy.models import Membership

router = APIRouter(tags=["members"])


def _member(action: Action) -> Authorize:
    return Authorize(RecordKind.MEMBER, action, purpose=Purpose.TEACHING_MANAGEMENT)


MemberListAccess = Annotated[Access, Depends(_member(Action.LIST))]
MemberCreateAccess = Annotated[Access, Depends(_member(Action.CREATE))]
MemberReadAccess = Annotated[Access, Depends(_member(Action.READ))]
MemberUpdateAccess = Annotated[Access, Depends(_member(Action.UPDATE))]


def member_out(m: Membership, a: Account, *, listed: bool = False) -> MemberOut:
    """One roster entry; a list's entries carry no status reason or confirmation time."""
    out = MemberOut(
        id=m.id,
        account_id=a.id,
        role=m.role,
        status=m.status,
        display_name=m.display_name or a.display_name,
        phone_masked=a.phone_masked,
        age_band=m.age_band,
        created_at=m.created_at,
    )
    if not listed:
        out.status_reason, out.confirmed_at = m.status_reason, m.confirmed_at
    return out


@router.get("/v1/tenants/{slug}/members", response_model=Page[MemberOut])
async def list_members(
    access: MemberListAccess,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    role: Annotated[Role | None, Query(description="only this role")] = None,
) -> Page[MemberOut]:
    rows, cursor = await service.member_page(session, access, page, role=role)
    await record_access(session, access, (a.id for _, a in rows))
    return Page(items=[member_out(m, a, listed=True) for m, a in rows], next_cursor=cursor)


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
    e164 = normalize_field(body.phone, "phone", region) if body.phone else None
    guardian = (
        normalize_field(body.guardian_phone, "guardian_phone", region)
        if body.guardian_phone
        else None
    )
    if e164 is None and (body.role != "student" or guardian is None):
        raise Invalid("phone", "required, except for a student registered under guardian_phone")
    service.check_registration(
        role=body.role,
        age_band=body.age_band,
        phone=e164 or "",
        guardian_phone=guardian,
        consent=body.consent,
    )
    if e164 is None:
        assert guardian is not None
        done = await learners.register_under_guardian(
            session,
            ctx.keys,
            access.tenant,
            access.account_id,
            display_name=body.display_name,
            age_band=body.age_band,
            guardian_e164=guardian,
            consent=body.consent,
        )
    else:
        done = await service.register(
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


@router.get("/v1/tenants/{slug}/members/{member_id}", response_model=MemberOut)
async def read_member(member_id: str, access: MemberReadAccess, session: SessionDep) -> MemberOut:
    membership, account = await service.visible_member(session, access, member_id)
    await record_access(session, access, [account.id])
    return member_out(membership, account)


@router.post("/v1/tenants/{slug}/members/{member_id}/deactivate", response_model=MemberOut)
async def deactivate_member(
    member_id: str, body: StatusChange, access: MemberUpdateAccess, session: SessionDep
) -> MemberOut:
    """Kept for the record with the reason; the person can no longer act in this school."""
    membership, account = await service.visible_member(session, access, member_id)
    changed = service.deactivate(membership, body.reason)
    await record_access(session, access, [account.id], detail={"deactivated": changed})
    return member_out(membership, account)


@router.post("/v1/tenants/{slug}/members/{member_id}/reactivate", response_model=MemberOut)
async def reactivate_member(
    member_id: str,
    access: MemberUpdateAccess,
    session: SessionDep,
    body: StatusChange | None = None,
) -> MemberOut:
    membership, account = await service.visible_member(session, access, member_id)
    changed = service.reactivate(membership, body.reason if body else None)
    await record_access(session, access, [account.id], detail={"reactivated": changed})
    return member_out(membership, account)


@router.post(
    "/v1/tenants/{slug}/members/{member_id}/phone",
    response_model=MemberOut,
    responses={409: {"description": "the person has a number already, or it is another's"}},
)
async def add_own_phone(
    member_id: str, body: OwnPhone, access: MemberUpdateAccess, ctx: ContextDep, session: SessionDep
) -> MemberOut:
    """A learner registered under a guardian's number gets their own: they sign in with it
    from now on, on the same account (their records, consents and guardians stay)."""
    membership, account = await service.visible_member(session, access, member_id)
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    changed = await learners.add_own_phone(session, ctx.keys, account, e164)
    await record_access(session, access, [account.id], detail={"own_phone_added": changed})
    return member_out(membership, account)


@router.post(
    "/v1/me/children/{member_id}/phone",
    response_model=MemberOut,
    tags=["me"],
    responses={
        404: {"description": "not a child of the caller's, in any of their schools"},
        409: {"description": "the child has a number already, or it is another's"},
        422: {"description": "the phone is not a number, or the code is wrong (try counted)"},
    },
)
async def add_child_phone(
    member_id: str,
    body: ChildPhone,
    account: CurrentAccount,
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
) -> MemberOut | JSONResponse:
    """A guardian gives their child, registered under the guardian's number, the child's own
    number (MIN-4: the guardian acts for the minor), proven by the code `POST /v1/auth/otp`
    sent to it. From then on the child signs in with it, on the same account. Retrying with
    the number already theirs answers 200 without a new code."""
    membership, child, tenant = await learners.my_child(session, account, member_id)
    e164 = normalize_field(body.phone, "phone", ctx.settings.default_region)
    try:
        changed = await learners.add_child_phone(
            session, ctx.settings, ctx.keys, child, e164, body.code
        )
    except learners.WrongCode as exc:
        # Returned, not raised: the counted code try must be committed.
        return problem(exc.status, exc.type, exc.title, exc.detail, request.url.path, **exc.extra)
    await record(
        session,
        tenant_id=tenant.id,
        actor_id=account.id,
        actor_kind="member",
        record_kind=RecordKind.MEMBER,
        action=Action.UPDATE,
        purpose=Purpose.ACCOUNT,
        subjects=[child.id],
        request_id=getattr(request.state, "request_id", None),
        detail={"own_phone_added": changed, "by": "guardian", "member_id": str(membership.id)},
    )
    return member_out(membership, child)
