"""The person's side of proxy registration: confirm it, dispute it, report a wrong course;
and the school's admins' side: the open items these raise.

A dispute suspends the membership (its roles stop counting) and, like a report of a wrong
course (SCH-2), becomes an open item for the school's admins. Row-level security admits one
school per transaction: the caller's own memberships are read through `app.account_id`,
which names the school; then that school is set.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.authz.access import Access
from app.authz.audit import record
from app.core import clock
from app.core.db import set_account, set_tenant
from app.core.errors import Conflict, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.policy import get_policy
from app.core.vocabulary import Action, RecordKind, Scope
from app.roster.enrollments.repository import enrollment_by_id
from app.roster.issues import repository
from app.roster.models import Enrollment, RosterIssue, RosterIssueKind
from app.tenancy.models import Membership, MembershipStatus, Tenant
from app.tenancy.repository import live_roles, memberships_of_account


async def my_schools(session: AsyncSession, account: Account) -> list[tuple[Membership, Tenant]]:
    await set_account(session, account.id)
    return list(await memberships_of_account(session, account.id))


async def my_membership(
    session: AsyncSession, account: Account, membership_id: str
) -> tuple[Membership, Tenant]:
    """One of the caller's own memberships (any school), its school set; 404 otherwise."""
    wanted = parse_id(membership_id)
    for membership, tenant in await my_schools(session, account):
        if membership.id == wanted:
            await set_tenant(session, tenant.id)
            return membership, tenant
    raise NotFound("no such membership")


async def my_enrollment(
    session: AsyncSession, account: Account, enrollment_id: str
) -> tuple[Enrollment, Tenant]:
    """One of the caller's own enrolments they may report (any school); 404 otherwise."""
    wanted = parse_id(enrollment_id)
    if wanted is None:
        raise NotFound("no such enrollment")
    schools = {t.id: t for _, t in await my_schools(session, account)}
    for tenant in schools.values():
        await set_tenant(session, tenant.id)
        mine = col(Enrollment.account_id) == account.id
        enrollment = await enrollment_by_id(session, tenant.id, wanted, mine)
        if enrollment is not None:
            await _may_report(session, tenant, account)
            return enrollment, tenant
    raise NotFound("no such enrollment")


async def _may_report(session: AsyncSession, tenant: Tenant, account: Account) -> None:
    roles = await live_roles(session, tenant.id, account.id)
    options = frozenset(name for name, on in tenant.options.items() if on)
    scopes = get_policy().allowed_scopes(roles, RecordKind.ENROLLMENT, Action.REPORT, options)
    if Scope.SELF not in scopes:
        raise NotFound("no such enrollment")


async def audit_own_change(
    session: AsyncSession,
    tenant: Tenant,
    account: Account,
    kind: RecordKind,
    detail: dict[str, str],
) -> None:
    """The audit entry of a person acting on their own roster entry (no purpose: their own)."""
    await record(
        session,
        tenant_id=tenant.id,
        actor_id=account.id,
        actor_kind="member",
        record_kind=kind,
        action=Action.UPDATE,
        purpose=None,
        subjects=[account.id],
        detail=detail,
    )


async def issue_page(
    session: AsyncSession, access: Access, page: PageParams, *, status: str | None
) -> tuple[list[RosterIssue], str | None]:
    rows = await repository.list_issues(
        session, access.tenant_id, status=status, after=page.after_id(), fetch=page.fetch
    )
    return paginate(rows, page.limit, cursor_of=lambda i: [str(i.id)])


async def school_issue(session: AsyncSession, access: Access, issue_id: str) -> RosterIssue:
    parsed = parse_id(issue_id)
    issue = await repository.issue_by_id(session, access.tenant_id, parsed) if parsed else None
    if issue is None:
        raise NotFound("no such issue")
    return issue


def confirm(membership: Membership) -> bool:
    if membership.status == MembershipStatus.inactive:
        raise Conflict("the school deactivated this membership; it cannot be confirmed")
    if membership.status == MembershipStatus.suspended:
        raise Conflict("suspended until the school settles the report of no guardian consent")
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
    if issue.kind == RosterIssueKind.minor_without_consent:
        raise Conflict("the school settles this report by deciding on the guardian's consent")
    issue.status, issue.resolved_at, issue.resolved_by = "resolved", clock.now(), by
    return True
