"""Whose data a `/v1/me` call is about: the caller, or a child they are guardian of.

`?student=<account id>` names the child; the guardian acts in each school where the
guardianship is recorded (MIN-1/2). Anything else answers 404, like a missing child.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts
from app.accounts.models import Account
from app.core.db import set_account, set_tenant
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Role
from app.roster.members import repository as roster
from app.tenancy.models import AgeBand, Membership, MembershipStatus, Tenant
from app.tenancy.repository import LIVE_STATUSES, memberships_of_account


@dataclass(frozen=True)
class SchoolMembership:
    tenant: Tenant
    membership: Membership


@dataclass(frozen=True)
class Subject:
    """The person the data is about, who acts for them, and their schools (live roles)."""

    account: Account
    actor: Account
    schools: tuple[SchoolMembership, ...]

    @property
    def by_guardian(self) -> bool:
        return self.actor.id != self.account.id

    @property
    def under14(self) -> bool:
        return any(s.membership.age_band == AgeBand.under14 for s in self.schools)

    def tenants(self) -> list[Tenant]:
        seen: dict[uuid.UUID, Tenant] = {}
        for school in self.schools:
            seen.setdefault(school.tenant.id, school.tenant)
        return list(seen.values())

    def in_school(self, slug: str) -> Tenant:
        for tenant in self.tenants():
            if tenant.slug == slug:
                return tenant
        raise NotFound("no such school", field="school")


def _live(membership: Membership) -> bool:
    # A suspended minor's school still holds their data: rights requests reach it (MIN-7).
    return membership.status in LIVE_STATUSES or membership.status == MembershipStatus.suspended


async def resolve_subject(session: AsyncSession, caller: Account, student: str | None) -> Subject:
    await set_account(session, caller.id)
    own = [SchoolMembership(t, m) for m, t in await memberships_of_account(session, caller.id)]
    if student is None:
        return Subject(caller, caller, tuple(s for s in own if _live(s.membership)))
    child_id = parse_id(student)
    if child_id is None or child_id == caller.id:
        raise NotFound("no such student", field="student")
    schools: list[SchoolMembership] = []
    for mine in own:
        if mine.membership.role != Role.GUARDIAN or not _live(mine.membership):
            continue
        tenant = mine.tenant
        await set_tenant(session, tenant.id)
        if await roster.guardianship(session, tenant.id, caller.id, child_id) is None:
            continue
        membership = await roster.membership_of(session, tenant.id, child_id, Role.STUDENT)
        if membership is not None and _live(membership):
            schools.append(SchoolMembership(tenant, membership))
    # The child's account is visible through a school that holds them (row-level security).
    child = (
        await accounts.account_in_school(session, schools[0].tenant.id, child_id)
        if schools
        else None
    )
    if child is None:
        raise NotFound("no such student", field="student")
    return Subject(child, caller, tuple(schools))
