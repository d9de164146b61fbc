"""Consent per category in each school (RGT-8/9, MIN-1/2, CLS-2/3/5/7/18/19).

The school's attestation at registration grants every category; the person (or their
guardian) withdraws and grants again at any time. Ingestion drops the events of an open
withdrawal (`classroom.repository.withdrawn_categories` reads the same rows); what was
collected before stays readable for its purpose. Every change is an audit entry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record
from app.core import clock
from app.core.db import set_tenant
from app.core.errors import Forbidden
from app.core.vocabulary import Action, ConsentCategory, Purpose, RecordKind
from app.privacy import repository
from app.privacy.models import ConsentWithdrawal
from app.privacy.subjects import Subject
from app.tenancy.models import Tenant


@dataclass(frozen=True)
class ConsentState:
    school: Tenant
    category: ConsentCategory
    withdrawal: ConsentWithdrawal | None

    @property
    def granted(self) -> bool:
        return self.withdrawal is None

    @property
    def withdrawn_at(self) -> datetime | None:
        return self.withdrawal.withdrawn_at if self.withdrawal else None


async def open_withdrawals(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> dict[str, ConsentWithdrawal]:
    """Category -> open withdrawal of one person in one school (the ingestion contract)."""
    return await repository.open_withdrawals(session, tenant_id, account_id)


async def consents_of(
    session: AsyncSession, subject: Subject, school: str | None = None
) -> list[ConsentState]:
    tenants = [subject.in_school(school)] if school else subject.tenants()
    states: list[ConsentState] = []
    for tenant in tenants:
        await set_tenant(session, tenant.id)
        open_ = await open_withdrawals(session, tenant.id, subject.account.id)
        states += [ConsentState(tenant, c, open_.get(c.value)) for c in ConsentCategory]
    return states


async def _audit(
    session: AsyncSession,
    subject: Subject,
    tenant: Tenant,
    change: str,
    category: ConsentCategory,
    request_id: str | None,
) -> None:
    await record(
        session,
        tenant_id=tenant.id,
        actor_id=subject.actor.id,
        actor_kind="member",
        record_kind=RecordKind.CONSENT,
        action=Action.UPDATE,
        purpose=Purpose.RIGHTS_HANDLING,
        subjects=[subject.account.id],
        request_id=request_id,
        detail={"category": category.value, "change": change, "by_guardian": subject.by_guardian},
    )


async def withdraw(
    session: AsyncSession,
    subject: Subject,
    category: ConsentCategory,
    school: str | None,
    request_id: str | None,
) -> list[ConsentState]:
    """Idempotent: an open withdrawal is kept as it is (and not audited twice)."""
    for tenant in [subject.in_school(school)] if school else subject.tenants():
        await set_tenant(session, tenant.id)
        if category.value in await open_withdrawals(session, tenant.id, subject.account.id):
            continue
        session.add(
            ConsentWithdrawal(
                tenant_id=tenant.id,
                account_id=subject.account.id,
                category=category.value,
                withdrawn_at=clock.now(),
                withdrawn_by=subject.actor.id,
            )
        )
        await session.flush()
        await _audit(session, subject, tenant, "withdraw", category, request_id)
    return [s for s in await consents_of(session, subject, school) if s.category == category]


async def grant(
    session: AsyncSession,
    subject: Subject,
    category: ConsentCategory,
    school: str | None,
    request_id: str | None,
) -> list[ConsentState]:
    """Consent given again; for a child under 14 only the guardian gives it (MIN-1)."""
    if subject.under14 and not subject.by_guardian:
        raise Forbidden("a guardian gives consent for a child under 14 (MIN-1)")
    for tenant in [subject.in_school(school)] if school else subject.tenants():
        await set_tenant(session, tenant.id)
        current = (await open_withdrawals(session, tenant.id, subject.account.id)).get(
            category.value
        )
        if current is None:
            continue
        current.restored_at = clock.now()
        current.restored_by = subject.actor.id
        await session.flush()
        await _audit(session, subject, tenant, "grant", category, request_id)
    return [s for s in await consents_of(session, subject, school) if s.category == category]
