"""HTTP for a minor without guardian consent: the report (`/v1/me/...`) and the school's
decision on the open roster item it raised (listed with the others, /roster/issues)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.authz.access import Access
from app.authz.deps import Authorize
from app.core.deps import RequestIdDep, SessionDep
from app.core.vocabulary import Action, Purpose, RecordKind
from app.privacy.deps import SubjectDep
from app.rights.deps import CalendarDep
from app.rights.minors import service
from app.rights.minors.schemas import MinorDecisionIn, MinorDecisionOut, MinorReportIn
from app.roster.issues.router import issue_out
from app.roster.schemas import RosterIssueOut

router = APIRouter(tags=["minors"])
# Settling it changes the roster: member update, the school's admins only (roles.csv).
IssueAccess = Annotated[
    Access,
    Depends(Authorize(RecordKind.MEMBER, Action.UPDATE, purpose=Purpose.TEACHING_MANAGEMENT)),
]


@router.post("/v1/me/reports/minor-consent", response_model=RosterIssueOut, status_code=201)
async def report_minor_without_consent(
    body: MinorReportIn,
    subject: SubjectDep,
    session: SessionDep,
    request_id: RequestIdDep,
    response: Response,
) -> RosterIssueOut:
    """The minor (or, with `?student=`, their guardian) reports using the school's service
    without guardian consent: the membership is suspended and the school's admins get an
    open item. A retry answers 200 with the same item."""
    issue, created = await service.report(session, subject, body, request_id or None)
    if not created:
        response.status_code = 200
    return issue_out(issue)


@router.post(
    "/v1/tenants/{slug}/roster/issues/{issue_id}/minor-consent", response_model=MinorDecisionOut
)
async def decide_minor_consent(
    issue_id: str,
    body: MinorDecisionIn,
    access: IssueAccess,
    session: SessionDep,
    calendar: CalendarDep,
) -> MinorDecisionOut:
    """`confirmed`: the guardian's consent is on file, service resumes. `absent`: the
    membership ends and the minor's data in the school is deleted (MIN-8)."""
    issue, membership, erased = await service.decide(session, calendar, access, issue_id, body)
    return MinorDecisionOut(
        issue=issue_out(issue), membership_status=membership.status, erased=erased
    )
