"""The report (MIN-7) and the school's decision on it (MIN-8).

The minor or their guardian reports it: the minor's membership in that school is suspended
at once (its roles stop counting, so the school's data is out of reach and nothing more is
collected through it) and the school's admins get an open roster item. The school settles
it: with the guardian's consent on file the membership resumes; without, it ends and the
minor's data in the school is deleted through a deletion request (grounds
`without_consent`) the school files and approves, carried out like any other (TPS-8).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.audit import record, record_access
from app.core import clock
from app.core.db import set_tenant
from app.core.errors import Conflict, NotFound
from app.core.vocabulary import Action, RecordKind, Role
from app.privacy.notices import today
from app.privacy.subjects import Subject
from app.rights import deadlines
from app.rights.decisions import decide_part, settle
from app.rights.handling import carry_out_deletion
from app.rights.history import step
from app.rights.minors.schemas import GuardianConsent, MinorDecisionIn, MinorReportIn
from app.rights.models import (
    DeletionGrounds,
    RequestStatus,
    RequestType,
    RightsRequest,
    SchoolRightsRequest,
)
from app.rights.schemas import DecideIn, Decision
from app.rights.service import attach_parts
from app.rights.workdays import WorkdayCalendar
from app.roster.issues import repository as issues
from app.roster.issues.service import school_issue
from app.roster.models import RosterIssue, RosterIssueKind
from app.tenancy.models import AgeBand, Membership, MembershipStatus, Tenant

KIND = RosterIssueKind.minor_without_consent
SUSPENDED = "reported as using the service without guardian consent (MIN-7)"
ENDED = "no guardian consent (MIN-8): the school's data about the minor was deleted"


def _minor_membership(subject: Subject, slug: str) -> tuple[Membership, Tenant]:
    for held in subject.schools:
        if held.tenant.slug == slug and held.membership.role == Role.STUDENT:
            if held.membership.age_band == AgeBand.adult:
                raise Conflict("the school registered this student as an adult", field="school")
            return held.membership, held.tenant
    raise NotFound("no such school among the student's", field="school")


async def report(
    session: AsyncSession, subject: Subject, body: MinorReportIn, request_id: str | None
) -> tuple[RosterIssue, bool]:
    """(the open item, created): a retry finds the same item and changes nothing."""
    membership, tenant = _minor_membership(subject, body.school)
    await set_tenant(session, tenant.id)
    open_one = await issues.open_issue(session, tenant.id, KIND, membership_id=membership.id)
    if open_one is not None:
        return open_one, False
    membership.status = MembershipStatus.suspended
    membership.status_reason = SUSPENDED
    membership.updated_at = clock.now()
    by = "guardian" if subject.by_guardian else "the minor"
    issue = RosterIssue(
        tenant_id=tenant.id,
        kind=KIND,
        account_id=subject.account.id,
        membership_id=membership.id,
        note=f"reported by {by}" + (f": {body.note}" if body.note else ""),
    )
    session.add(issue)
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor_id=subject.actor.id,
        actor_kind="member",
        record_kind=RecordKind.MEMBER,
        action=Action.UPDATE,
        purpose=None,
        subjects=[subject.account.id],
        request_id=request_id,
        detail={"minor_consent_report": str(issue.id), "suspended": str(membership.id)},
    )
    return issue, True


async def _delete_through_request(
    session: AsyncSession,
    calendar: WorkdayCalendar,
    access: Access,
    issue: RosterIssue,
    note: str | None,
) -> tuple[RightsRequest, dict[str, int]]:
    """A deletion request the school files for the minor and approves: the existing path."""
    received = today()
    due = deadlines.due_from(calendar, received)
    filed_note = "filed by the school: a minor without guardian consent (MIN-8)"
    request = RightsRequest(
        account_id=issue.account_id,
        filed_by=access.account_id,
        type=RequestType.DELETION,
        details=note,
        grounds=DeletionGrounds.WITHOUT_CONSENT,
        account_level=False,
        status=RequestStatus.IN_PROGRESS,
        received_on=received,
        due_on=due.on,
        provisional=due.provisional,
        history=[step(RequestStatus.RECEIVED, access.account_id, "school", filed_note)],
    )
    session.add(request)
    await session.flush()
    part = SchoolRightsRequest(
        tenant_id=access.tenant_id,
        request_id=request.id,
        account_id=issue.account_id,
        type=RequestType.DELETION,
        status=RequestStatus.IN_PROGRESS,
        due_on=due.on,
        provisional=due.provisional,
        history=[step(RequestStatus.IN_PROGRESS, None, "system", "routed to the school")],
    )
    session.add(part)
    await session.flush()
    approve = DecideIn(decision=Decision.APPROVE, reason="no guardian consent (MIN-8)")
    decide_part(part, access.account_id, approve)
    erased = await carry_out_deletion(session, part)
    await session.flush()
    settle((await attach_parts(session, issue.account_id, [request]))[0])
    await set_tenant(session, access.tenant_id)
    return request, erased


async def decide(
    session: AsyncSession,
    calendar: WorkdayCalendar,
    access: Access,
    issue_id: str,
    body: MinorDecisionIn,
) -> tuple[RosterIssue, Membership, dict[str, int]]:
    """The school's answer; the same answer again is a retry, another one is 409."""
    issue = await school_issue(session, access, issue_id)
    if issue.kind != KIND or issue.membership_id is None:
        raise NotFound("no such report")
    membership = await session.get(Membership, (access.tenant_id, issue.membership_id))
    if membership is None:
        raise NotFound("no such report")
    if issue.status == "resolved":
        if issue.outcome == body.consent:
            return issue, membership, {}
        raise Conflict(f"the school already decided: {issue.outcome}", field="consent")
    erased: dict[str, int] = {}
    now = clock.now()
    if body.consent == GuardianConsent.CONFIRMED:
        membership.status = (
            MembershipStatus.active if membership.confirmed_at else MembershipStatus.pending
        )
        membership.status_reason = None
    else:
        membership.status = MembershipStatus.inactive
        membership.status_reason = ENDED
        request, erased = await _delete_through_request(session, calendar, access, issue, body.note)
        issue.rights_request_id = request.id
    membership.updated_at = now
    issue.outcome = body.consent
    # roster's resolve() refuses this kind: the decision is what settles it.
    issue.status, issue.resolved_at, issue.resolved_by = "resolved", now, access.account_id
    await session.flush()
    detail: dict[str, object] = {"minor_consent": str(body.consent), "issue": str(issue.id)}
    if erased:
        detail["erased"] = erased
    await record_access(session, access, [issue.account_id], detail=detail)
    return issue, membership, erased
