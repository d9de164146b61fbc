"""Open items of the roster: the person confirms or disputes a registration or reports a wrong
course (across schools, `/v1/me/...`); the school's admins list and resolve the items."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Response

from app.accounts.deps import CurrentAccount
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.deps import SessionDep
from app.core.pagination import Page, PageParams, page_params
from app.core.vocabulary import Action, Purpose, RecordKind
from app.roster.issues import service
from app.roster.models import RosterIssue
from app.roster.schemas import IssueNote, RosterIssueOut
from app.tenancy.models import Membership, Tenant
from app.tenancy.schemas import MembershipOut

me_router = APIRouter(tags=["me"])
school_router = APIRouter(tags=["roster"])
NoteBody = Annotated[IssueNote | None, Body()]
# Handling the roster's open items is changing the roster: roles.csv gives member update
# to the school's admins only (scope tenant).
IssueAccess = Annotated[
    Access,
    Depends(Authorize(RecordKind.MEMBER, Action.UPDATE, purpose=Purpose.TEACHING_MANAGEMENT)),
]


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


@me_router.post("/v1/me/memberships/{membership_id}/confirm", response_model=MembershipOut)
async def confirm_membership(
    membership_id: str, account: CurrentAccount, session: SessionDep
) -> MembershipOut:
    """The person agrees to the school's registration (or withdraws an earlier dispute)."""
    membership, tenant = await service.my_membership(session, account, membership_id)
    changed = service.confirm(membership)
    detail = {"confirmed": str(changed)}
    await service.audit_own_change(session, tenant, account, RecordKind.MEMBER, detail)
    return _membership_out(membership, tenant)


@me_router.post(
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
    membership, tenant = await service.my_membership(session, account, membership_id)
    issue, created = await service.dispute(session, membership, body.note if body else None)
    detail = {"disputed": str(membership.id)}
    await service.audit_own_change(session, tenant, account, RecordKind.MEMBER, detail)
    if not created:
        response.status_code = 200
    return issue_out(issue)


@me_router.post(
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
    enrollment, tenant = await service.my_enrollment(session, account, enrollment_id)
    issue, created = await service.report_enrollment(
        session, enrollment, body.note if body else None
    )
    detail = {"reported": str(enrollment.id)}
    await service.audit_own_change(session, tenant, account, RecordKind.ENROLLMENT, detail)
    if not created:
        response.status_code = 200
    return issue_out(issue)


@school_router.get("/v1/tenants/{slug}/roster/issues", response_model=Page[RosterIssueOut])
async def list_issues(
    access: IssueAccess,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["open", "resolved"] | None, Query()] = "open",
) -> Page[RosterIssueOut]:
    rows, cursor = await service.issue_page(session, access, page, status=status)
    await record_access(session, access, (i.account_id for i in rows), action=Action.LIST)
    return Page(items=[issue_out(i) for i in rows], next_cursor=cursor)


@school_router.post(
    "/v1/tenants/{slug}/roster/issues/{issue_id}/resolve", response_model=RosterIssueOut
)
async def resolve_issue(issue_id: str, access: IssueAccess, session: SessionDep) -> RosterIssueOut:
    issue = await service.school_issue(session, access, issue_id)
    service.resolve(issue, access.account_id)
    await record_access(session, access, [issue.account_id], detail={"resolved": str(issue.id)})
    return issue_out(issue)


router = APIRouter()
router.include_router(school_router)
router.include_router(me_router)
