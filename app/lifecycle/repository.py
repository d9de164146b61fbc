"""Queries of the lifecycle: who is in a school, incidents' notifications, offboardings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core.vocabulary import Role
from app.lifecycle.models import (
    DeletionProof,
    Incident,
    IncidentNotification,
    Offboarding,
    OffboardingStatus,
)
from app.tenancy.models import AgeBand, Guardianship, Membership
from app.tenancy.repository import LIVE_STATUSES


async def member_ids(
    session: AsyncSession, tenant_id: uuid.UUID, among: Sequence[uuid.UUID] | None = None
) -> set[uuid.UUID]:
    """Accounts holding any role in the school (every one, or those of `among`)."""
    query = select(col(Membership.account_id)).where(col(Membership.tenant_id) == tenant_id)
    if among is not None:
        query = query.where(col(Membership.account_id).in_(list(among)))
    else:
        query = query.where(col(Membership.status).in_(LIVE_STATUSES))
    return set((await session.execute(query.distinct())).scalars().all())


async def admin_ids(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    result = await session.execute(
        select(col(Membership.account_id)).where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.role) == Role.SCHOOL_ADMIN,
            col(Membership.status).in_(LIVE_STATUSES),
        )
    )
    return set(result.scalars().all())


async def active_accounts(session: AsyncSession, ids: set[uuid.UUID]) -> Sequence[Account]:
    if not ids:
        return []
    result = await session.execute(
        select(Account)
        .where(col(Account.id).in_(sorted(ids)), col(Account.status) == "active")
        .order_by(col(Account.id))
    )
    return result.scalars().all()


async def same_incident(
    session: AsyncSession, staff_id: uuid.UUID, what: str, at: object
) -> Incident | None:
    """A retried POST: the same staff member, facts and time."""
    result = await session.execute(
        select(Incident).where(
            col(Incident.recorded_by) == staff_id,
            col(Incident.what) == what,
            col(Incident.happened_at) == at,
        )
    )
    return result.scalars().first()


async def sent_to(session: AsyncSession, incident_id: uuid.UUID) -> set[tuple[uuid.UUID, str, str]]:
    """(account, audience, channel) already delivered: a rerun of the job skips them."""
    result = await session.execute(
        select(
            col(IncidentNotification.account_id),
            col(IncidentNotification.audience),
            col(IncidentNotification.channel),
        ).where(
            col(IncidentNotification.incident_id) == incident_id,
            col(IncidentNotification.status) == "sent",
        )
    )
    return {(a, b, c) for a, b, c in result.all()}


async def notification_counts(
    session: AsyncSession, incident_id: uuid.UUID
) -> Sequence[tuple[uuid.UUID, str, str, str, int]]:
    """(school, audience, channel, status, people) of an incident's notifications."""
    n = IncidentNotification
    result = await session.execute(
        select(
            col(n.school_id), col(n.audience), col(n.channel), col(n.status),
            func.count(func.distinct(col(n.account_id))),
        )
        .where(col(n.incident_id) == incident_id)
        .group_by(col(n.school_id), col(n.audience), col(n.channel), col(n.status))
    )  # fmt: skip
    return [(s, a, c, st, int(k)) for s, a, c, st, k in result.all()]


async def notification_span(session: AsyncSession, incident_id: uuid.UUID) -> tuple[object, object]:
    n = IncidentNotification
    result = await session.execute(
        select(func.min(col(n.at)), func.max(col(n.at))).where(col(n.incident_id) == incident_id)
    )
    first, last = result.one()
    return first, last


async def open_offboarding(session: AsyncSession, school_id: uuid.UUID) -> Offboarding | None:
    result = await session.execute(
        select(Offboarding).where(
            col(Offboarding.school_id) == school_id,
            col(Offboarding.status) == OffboardingStatus.SCHEDULED,
        )
    )
    return result.scalars().first()


async def open_offboardings(session: AsyncSession, *, reason: str) -> Sequence[Offboarding]:
    result = await session.execute(
        select(Offboarding).where(
            col(Offboarding.status) == OffboardingStatus.SCHEDULED,
            col(Offboarding.reason) == reason,
        )
    )
    return result.scalars().all()


async def due_offboardings(session: AsyncSession, now: object) -> Sequence[Offboarding]:
    result = await session.execute(
        select(Offboarding)
        .where(
            col(Offboarding.status) == OffboardingStatus.SCHEDULED,
            col(Offboarding.delete_after) <= now,
        )
        .order_by(col(Offboarding.delete_after))
    )
    return result.scalars().all()


async def proof_of(session: AsyncSession, offboarding_id: uuid.UUID) -> DeletionProof | None:
    result = await session.execute(
        select(DeletionProof).where(col(DeletionProof.offboarding_id) == offboarding_id)
    )
    return result.scalar_one_or_none()


async def guardians_of_children(
    session: AsyncSession, tenant_id: uuid.UUID, among: set[uuid.UUID]
) -> set[uuid.UUID]:
    """The guardians of those of `among` who are children under 14 in the school."""
    if not among:
        return set()
    children = select(col(Membership.account_id)).where(
        col(Membership.tenant_id) == tenant_id,
        col(Membership.age_band) == AgeBand.under14,
        col(Membership.account_id).in_(sorted(among)),
    )
    result = await session.execute(
        select(col(Guardianship.guardian_id)).where(
            col(Guardianship.tenant_id) == tenant_id,
            col(Guardianship.student_id).in_(children),
        )
    )
    return set(result.scalars().all())
