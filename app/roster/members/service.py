"""The school's roster of people: proxy registration (PRX-1/2/6, MIN-1/2/4/9) by phone number,
the entries the caller's scopes reach, (de)activation.

The school attests the person's (or guardian's) consent; the attestation is stored per
membership. Registering the same number in the same role again returns the existing
membership: a retried request changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.accounts.service import get_or_create_account, phone_hash
from app.authz.access import Access
from app.core import clock
from app.core.errors import Conflict, Invalid, InvalidMany, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.security import Keys
from app.core.vocabulary import Role
from app.roster.members import repository
from app.roster.models import ConsentAttestation, Guardianship
from app.roster.schemas import Consent
from app.roster.scopes import person_predicate
from app.roster.service import aware
from app.tenancy.models import Membership, MembershipStatus, Tenant

CLOCK_SKEW = timedelta(minutes=5)
Problem = dict[str, Any]
MemberRow = tuple[Membership, Account]


@dataclass(frozen=True)
class Registered:
    membership: Membership
    account: Account
    created: bool


def consent_problems(consent: Consent, now: datetime, prefix: str = "consent") -> list[Problem]:
    problems: list[Problem] = []
    if not consent.notice_version.strip():
        problems.append(
            {"field": f"{prefix}.notice_version", "message": "the notice version shown is required"}
        )
    if aware(consent.given_at) > now + CLOCK_SKEW:
        problems.append(
            {"field": f"{prefix}.given_at", "message": "consent cannot be given in the future"}
        )
    return problems


def registration_problems(
    *,
    role: str,
    age_band: str | None,
    phone: str,
    guardian_phone: str | None,
    given_by: str,
    field: Callable[[str], str],
    consent_field: str = "consent.given_by",
) -> list[Problem]:
    """The consent rules for one person (MIN-1/2): who may consent for whom."""
    problems: list[Problem] = []

    def add(name: str, message: str) -> None:
        problems.append({"field": name, "message": message})

    if role == Role.STUDENT:
        if age_band is None:
            add(field("age_band"), "a student's age band is required (under14, 14to17, adult)")
        elif age_band == "under14":
            if not guardian_phone:
                add(field("guardian_phone"), "a student under 14 needs a guardian's phone")
            if given_by != "guardian":
                add(consent_field, "a student under 14 needs the guardian's consent")
        elif age_band == "14to17":
            if given_by == "guardian" and not guardian_phone:
                add(field("guardian_phone"), "consent given by a guardian needs guardian_phone")
        elif given_by != "self":
            add(consent_field, "an adult student consents for themself")
    else:
        if age_band not in (None, "adult"):
            add(field("age_band"), f"a {role} is registered as an adult")
        if given_by != "self":
            add(consent_field, f"a {role} consents for themself")
        if guardian_phone:
            add(field("guardian_phone"), "only students are registered with a guardian")
    if guardian_phone and guardian_phone == phone:
        add(field("guardian_phone"), "the guardian's phone is the person's own")
    return problems


def check_registration(
    *,
    role: str,
    age_band: str | None,
    phone: str,
    guardian_phone: str | None,
    consent: Consent,
) -> None:
    now = clock.now()
    problems = consent_problems(consent, now) + registration_problems(
        role=role,
        age_band=age_band,
        phone=phone,
        guardian_phone=guardian_phone,
        given_by=consent.given_by,
        field=lambda name: name,
    )
    if problems:
        raise InvalidMany(problems)


def attestation(
    tenant_id: uuid.UUID,
    membership: Membership,
    consent: Consent,
    attested_by: uuid.UUID | None,
    guardian_id: uuid.UUID | None = None,
) -> ConsentAttestation:
    return ConsentAttestation(
        tenant_id=tenant_id,
        membership_id=membership.id,
        account_id=membership.account_id,
        given_by=consent.given_by,
        guardian_id=guardian_id,
        method=consent.method,
        notice_version=consent.notice_version.strip(),
        given_at=aware(consent.given_at),
        attested_by=attested_by,
    )


def refuse_unusable(membership: Membership, field: str) -> None:
    if membership.status == MembershipStatus.inactive:
        raise Conflict(
            f"{field}: this person's membership was deactivated; reactivate it first", field=field
        )
    if membership.status == MembershipStatus.disputed:
        raise Conflict(
            f"{field}: this person disputes the registration; resolve it with them first",
            field=field,
        )


async def ensure_guardian(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    guardian_e164: str,
    student: Account,
    consent: Consent,
    field: str = "guardian_phone",
) -> Account:
    """The guardian's account and membership (registered if need be) and the link."""
    guardian, _ = await get_or_create_account(session, keys, guardian_e164, None, "school")
    membership = await repository.membership_of(session, tenant.id, guardian.id, Role.GUARDIAN)
    if membership is None:
        membership = Membership(
            tenant_id=tenant.id,
            account_id=guardian.id,
            role=Role.GUARDIAN,
            status=MembershipStatus.pending,
            age_band="adult",
            registered_by=actor_id,
        )
        session.add(membership)
        await session.flush()
        own = consent.model_copy(update={"given_by": "self"})
        session.add(attestation(tenant.id, membership, own, actor_id))
    elif membership.status not in (MembershipStatus.pending, MembershipStatus.active):
        raise Invalid(field, "the guardian's membership is deactivated or disputed")
    if await repository.guardianship(session, tenant.id, guardian.id, student.id) is None:
        session.add(
            Guardianship(tenant_id=tenant.id, guardian_id=guardian.id, student_id=student.id)
        )
    return guardian


async def require_published_notice(session: AsyncSession, tenant: Tenant, consent: Consent) -> None:
    """The attested version must be one the school has: declared in its file or published."""
    version = consent.notice_version
    if version != tenant.notice_version and not await repository.has_notice_version(
        session, tenant.id, version
    ):
        raise Invalid("consent.notice_version", f"the school has no notice version {version!r}")


async def register(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    *,
    e164: str,
    role: str,
    display_name: str | None,
    age_band: str | None,
    guardian_e164: str | None,
    consent: Consent,
    field: str = "phone",
) -> Registered:
    """Link or create the account, then the pending membership and its attestation."""
    await require_published_notice(session, tenant, consent)
    account, _ = await get_or_create_account(session, keys, e164, display_name, "school")
    existing = await repository.membership_of(session, tenant.id, account.id, role)
    if existing is not None:
        refuse_unusable(existing, field)
        return Registered(existing, account, created=False)
    guardian_id = None
    if guardian_e164:
        guardian = await ensure_guardian(
            session, keys, tenant, actor_id, guardian_e164, account, consent
        )
        guardian_id = guardian.id if consent.given_by == "guardian" else None
    membership = Membership(
        tenant_id=tenant.id,
        account_id=account.id,
        role=role,
        status=MembershipStatus.pending,
        age_band=age_band or ("adult" if role != Role.STUDENT else None),
        display_name=display_name,
        registered_by=actor_id,
    )
    session.add(membership)
    await session.flush()
    session.add(attestation(tenant.id, membership, consent, actor_id, guardian_id))
    await session.flush()
    return Registered(membership, account, created=True)


def deactivate(membership: Membership, reason: str) -> bool:
    """Kept for the record, no longer able to act in the school. False when already so."""
    if membership.status == MembershipStatus.inactive:
        return False
    membership.status = MembershipStatus.inactive
    membership.status_reason = reason
    membership.updated_at = clock.now()
    return True


def reactivate(membership: Membership, reason: str | None) -> bool:
    if membership.status == MembershipStatus.disputed:
        raise Conflict("the person disputes this registration; it cannot be reactivated")
    if membership.status != MembershipStatus.inactive:
        return False
    confirmed = membership.confirmed_at is not None
    membership.status = MembershipStatus.active if confirmed else MembershipStatus.pending
    membership.status_reason = reason
    membership.updated_at = clock.now()
    return True


async def member_page(
    session: AsyncSession, access: Access, page: PageParams, *, role: str | None
) -> tuple[list[MemberRow], str | None]:
    """One page of the roster the caller's scopes reach, in id order."""
    rows = await repository.list_members(
        session,
        access.tenant_id,
        person_predicate(access, Membership.account_id),
        role=role,
        after=page.after_id(),
        fetch=page.fetch,
    )
    return paginate(rows, page.limit, cursor_of=lambda row: [str(row[0].id)])


async def visible_member(session: AsyncSession, access: Access, member_id: str) -> MemberRow:
    """The roster entry if the caller's scopes reach it; 404 if missing, foreign or out of scope."""
    parsed = parse_id(member_id)
    visible = and_(person_predicate(access, Membership.account_id), col(Membership.id) == parsed)
    rows = (
        await repository.list_members(
            session, access.tenant_id, visible, role=None, after=None, fetch=1
        )
        if parsed
        else []
    )
    if not rows:
        raise NotFound("no such member")
    return rows[0]


async def children_of(
    session: AsyncSession, tenant: Tenant, guardian_id: uuid.UUID
) -> list[Account]:
    """The children a guardian acts for in this school (the portal's child switcher)."""
    return list(await repository.children_of(session, tenant.id, guardian_id))


async def member_search_page(
    session: AsyncSession,
    keys: Keys,
    access: Access,
    page: PageParams,
    *,
    role: str | None = None,
    status: str | None = None,
    name: str | None = None,
    phone_e164: str | None = None,
) -> tuple[list[MemberRow], str | None]:
    """`member_page` narrowed by status, a part of the name, or the full phone number."""
    where: list[ColumnElement[bool]] = [person_predicate(access, Membership.account_id)]
    if status:
        where.append(col(Membership.status) == status)
    if name:
        where.append(await repository.name_part_predicate(session, access.tenant_id, name))
    if phone_e164:
        where.append(col(Account.phone_hash) == phone_hash(keys, phone_e164))
    rows = await repository.list_members(
        session, access.tenant_id, and_(*where), role=role, after=page.after_id(), fetch=page.fetch
    )
    return paginate(rows, page.limit, cursor_of=lambda row: [str(row[0].id)])
