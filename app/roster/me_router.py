"""The caller's side across schools: confirm or dispute a registration, report a wrong course.

Row-level security admits one school per transaction: the caller's own memberships are
read through `app.account_id`, which names the school; then that school is set.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.deps import CurrentAccount
from app.accounts.models import Account
from app.authz.audit import record
from app.core.db import set_account, set_tenant
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.policy import get_policy
from app.roster import disputes, repository
from app.roster.models import Enrollment, RosterIssue
from app.roster.schemas import IssueNote, RosterIssueOut
from app.tenancy.models import Membership, Tenant
from app.tenancy.repository import live_roles, memberships_of_account
from app.tenancy.schemas import MembershipOut

router = APIRouter(tags=["me"])
NoteBody = Annotated[IssueNote | None, Body()]


async def _schools(session: AsyncSession, account: Account) -> list[tuple[Membership, Tenant]]:
    await set_account(session, account.id)
    return list(await memberships_of_account(session, account.id))


async def _my_membership(
    session: AsyncSession, account: Account, membership_id: str
) -> tuple[Membership, Tenant]:
    wanted = parse_id(membership_id)
    for membership, tenant in await _schools(session, account):
        if membership.id == wanted:
            await set_tenant(session, tenant.id)
            return membership, tenant
    raise NotFound("no such membership")


async def _audit(
    session: AsyncSession, tenant: Tenant, account: Account, kind: str, detail: dict[str, str]
) -> None:
    await record(
        session,
        tenant_id=tenant.id,
        actor_id=account.id,
        actor_kind="member",
        record_kind=kind,
        action="update",
        purpose=None,
        subjects=[account.id],
        detail=detail,
    )


def _membership_out(m: Membership, t: Tenant) -> MembershipOut:
    return MembershipOut(
        id=m.id,
        school=t.slug,
        school_name=t.name,
        role=m.role,
        status=m.status,
        registered_at=m.created_at,
        registered_by_school=m.registered_by is not None,
        confirmed_at=m.confirmed_at,
    )


def issue_out(issue: RosterIssue) -> RosterIssueOut:
    return RosterIssueOut.model_validate(issue, from_attributes=True)


@router.post("/v1/me/memberships/{membership_id}/confirm", response_model=MembershipOut)
async def confirm_membership(
    membership_id: str, account: CurrentAccount, session: SessionDep
) -> MembershipOut:
    """The person agrees to the school's registration (or withdraws an earlier dispute)."""
    membership, tenant = await _my_membership(session, account, membership_id)
    changed = disputes.confirm(membership)
    await _audit(session, tenant, account, "member", {"confirmed": str(changed)})
    return _membership_out(membership, tenant)


@router.post(
    "/v1/me/memberships/{membership_id}/dispute", response_model=RosterIssueOut, status_code=201
)
async def dispute_membership(
    membership_id: str,
    account: CurrentAccount,
    session: SessionDep,
    response: Response,
    body: NoteBody = None,
) -> RosterIssueOut:
    """The person never agreed: the membership is suspended and the school's admins get an
    open item. Retrying answers 200 with the same item."""
    membership, tenant = await _my_membership(session, account, membership_id)
    issue, created = await disputes.dispute(session, membership, body.note if body else None)
    await _audit(session, tenant, account, "member", {"disputed": str(membership.id)})
    if not created:
        response.status_code = 200
    return issue_out(issue)


@router.post(
    "/v1/me/enrollments/{enrollment_id}/report", response_model=RosterIssueOut, status_code=201
)
async def report_enrollment(
    enrollment_id: str,
    account: CurrentAccount,
    session: SessionDep,
    response: Response,
    body: NoteBody = None,
) -> RosterIssueOut:
    """ "I was put in the wrong course" (SCH-2): an open item for the school's admins."""
    wanted = parse_id(enrollment_id)
    if wanted is None:
        raise NotFound("no such enrollment")
    schools = {t.id: t for _, t in await _schools(session, account)}
    found: tuple[Enrollment, Tenant] | None = None
    for tenant in schools.values():
        await set_tenant(session, tenant.id)
        mine = col(Enrollment.account_id) == account.id
        enrollment = await repository.enrollment_by_id(session, tenant.id, wanted, mine)
        if enrollment is not None:
            found = (enrollment, tenant)
            break
    if found is None:
        raise NotFound("no such enrollment")
    enrollment, tenant = found
    roles = await live_roles(session, tenant.id, account.id)
    options = frozenset(name for name, on in tenant.options.items() if on)
    if "self" not in get_policy().allowed_scopes(roles, "enrollment", "report", options):
        raise NotFound("no such enrollment")
    issue, created = await disputes.report_enrollment(
        session, enrollment, body.note if body else None
    )
    await _audit(session, tenant, account, "enrollment", {"reported": str(enrollment.id)})
    if not created:
        response.status_code = 200
    return issue_out(issue)
