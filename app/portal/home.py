"""The home page (my schools and roles), a school's start page, and the portal's 404."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.core.db import set_account
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.portal.access import member_in
from app.portal.deps import SignedIn
from app.portal.render import page
from app.portal.routing import PortalRoute
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
    return page(request, "home.html", schools=list(schools.values()))


@router.get("/s/{slug}/")
async def school(request: Request, slug: str, signed_in: SignedIn, session: SessionDep) -> Response:
    member = await member_in(session, signed_in.account, slug)
    return page(request, "school.html", tenant=member.tenant, roles=sorted(member.roles))


fallback = APIRouter(prefix="/portal", route_class=PortalRoute, include_in_schema=False)


@fallback.get("/{rest:path}")
async def not_found(request: Request, signed_in: SignedIn, rest: str) -> Response:
    raise NotFound("no such page")
