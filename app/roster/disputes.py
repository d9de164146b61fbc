"""The person's side of proxy registration: confirm it, dispute it, report a wrong course.

A dispute suspends the membership (its roles stop counting) and, like a report of a wrong
course (SCH-2), becomes an open item for the school's admins.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.errors import Conflict
from app.roster import repository
from app.roster.models import Enrollment, RosterIssue, RosterIssueKind
from app.tenancy.models import Membership, MembershipStatus


def confirm(membership: Membership) -> bool:
    if membership.status == MembershipStatus.inactive:
        raise Conflict("the school deactivated this membership; it cannot be confirmed")
    if membership.status == MembershipStatus.active:
        return False
    now = clock.now()
    membership.status = MembershipStatus.active
    membership.confirmed_at = now
    membership.status_reason = None
    membership.updated_at = now
    return True


async def dispute(
    session: AsyncSession, membership: Membership, note: str | None
) -> tuple[RosterIssue, bool]:
    """Suspends the membership and opens an item for the admins (once: retries find it)."""
    if membership.status == MembershipStatus.inactive:
        raise Conflict("the school deactivated this membership already")
    tenant_id = membership.tenant_id
    kind = RosterIssueKind.membership_disputed
    issue = await repository.open_issue(session, tenant_id, kind, membership_id=membership.id)
    membership.status = MembershipStatus.disputed
    membership.status_reason = note or "disputed by the person"
    membership.updated_at = clock.now()
    if issue is not None:
        return issue, False
    issue = RosterIssue(
        tenant_id=tenant_id,
        kind=kind,
        account_id=membership.account_id,
        membership_id=membership.id,
        note=note,
    )
    session.add(issue)
    await session.flush()
    return issue, True


async def report_enrollment(
    session: AsyncSession, enrollment: Enrollment, note: str | None
) -> tuple[RosterIssue, bool]:
    kind = RosterIssueKind.wrong_enrollment
    tenant_id = enrollment.tenant_id
    issue = await repository.open_issue(session, tenant_id, kind, enrollment_id=enrollment.id)
    if issue is not None:
        return issue, False
    issue = RosterIssue(
        tenant_id=tenant_id,
        kind=kind,
        account_id=enrollment.account_id,
        enrollment_id=enrollment.id,
        note=note,
    )
    session.add(issue)
    await session.flush()
    return issue, True


def resolve(issue: RosterIssue, by: uuid.UUID) -> bool:
    if issue.status == "resolved":
        return False
    issue.status, issue.resolved_at, issue.resolved_by = "resolved", clock.now(), by
    return True
