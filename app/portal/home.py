"""The home page (my schools and roles), a school's start page, and the portal's 404."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.core.db import set_account
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.vocabulary import RecordKind
from app.portal.access import member_in
from app.portal.deps import FormOfSession, SignedIn
from app.portal.render import page
from app.portal.routing import PortalRoute
from app.privacy import notices
from app.privacy.subjects import resolve_subject
from app.roster.issues import service as issues
from app.tenancy import repository as tenancy_repository
from app.tenancy.models import MembershipStatus

router = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request, signed_in: SignedIn, session: SessionDep) -> Response:
    await set_account(session, signed_in.account.id)
    rows = await tenancy_repository.memberships_of_account(session, signed_in.account.id)
    schools: dict[str, dict[str, object]] = {}
    for membership, tenant in rows:
        if membership.status not in (MembershipStatus.active, MembershipStatus.pending):
            continue
        entry = schools.setdefault(tenant.slug, {"tenant": tenant, "roles": []})
        entry["roles"].append(membership.role)  # type: ignore[attr-defined]
    pending = [(m, t) for m, t in rows if m.status == MembershipStatus.pending and m.registered_by]
    subject = await resolve_subject(session, signed_in.account, None)
    to_accept = [s for s in await notices.notices_for(session, subject) if s.pending]
    return page(
        request, "home.html", schools=list(schools.values()), pending=pending, notices=to_accept
    )


@router.post("/memberships/{membership_id}/{answer}")
async def answer_registration(
    request: Request, membership_id: str, answer: str, me: FormOfSession, session: SessionDep
) -> Response:
    """First sign-in: the person confirms or disputes a school's registration of them."""
    membership, tenant = await issues.my_membership(session, me.account, membership_id)
    if answer == "confirm":
        detail = {"confirmed": str(issues.confirm(membership))}
    elif answer == "dispute":
        await issues.dispute(session, membership, None)
        detail = {"disputed": str(membership.id)}
    else:
        raise NotFound("no such answer")
    await issues.audit_own_change(session, tenant, me.account, RecordKind.MEMBER, detail)
    return RedirectResponse("/portal/", status_code=303)


@router.post("/notices/{notice_id}/accept")
async def accept_notice(
    request: Request, notice_id: str, me: FormOfSession, session: SessionDep
) -> Response:
    subject = await resolve_subject(session, me.account, None)
    await notices.accept(session, subject, notice_id, getattr(request.state, "request_id", None))
    return RedirectResponse("/portal/", status_code=303)


@router.get("/s/{slug}/")
async def school(request: Request, slug: str, signed_in: SignedIn, session: SessionDep) -> Response:
    member = await member_in(session, signed_in.account, slug)
    return page(request, "school.html", tenant=member.tenant, roles=sorted(member.roles))


fallback = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)


@fallback.get("/{rest:path}")
async def not_found(request: Request, signed_in: SignedIn, rest: str) -> Response:
    raise NotFound("no such page")
