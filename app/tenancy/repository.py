"""Queries on schools and memberships. Membership queries always take the school."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core.db import set_account
from app.core.vocabulary import Role
from app.tenancy.models import Membership, MembershipStatus, Tenant

LIVE_STATUSES = (MembershipStatus.pending, MembershipStatus.active)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    result = await session.execute(select(Tenant).where(col(Tenant.slug) == slug))
    return result.scalar_one_or_none()


async def tenant_by_id(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def ingest_limit_of(session: AsyncSession, tenant_id: uuid.UUID) -> int | None:
    """The school's own events per minute (None: the platform's setting applies)."""
    found = await session.execute(
        select(col(Tenant.ingest_events_per_minute)).where(col(Tenant.id) == tenant_id)
    )
    return found.scalar_one_or_none()


async def all_tenants(session: AsyncSession) -> Sequence[Tenant]:
    return (await session.execute(select(Tenant).order_by(col(Tenant.slug)))).scalars().all()


async def live_roles(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> frozenset[str]:
    """The roles a person holds in a school now (pending counts: the school's attestation)."""
    result = await session.execute(
        select(col(Membership.role)).where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.account_id) == account_id,
            col(Membership.status).in_(LIVE_STATUSES),
        )
    )
    return frozenset(result.scalars())


# Asked on every request inside a school, so built once: executing a prebuilt statement
# skips rebuilding and re-keying it for SQLAlchemy's compiled-statement cache.
_ACCOUNT_AND_ROLES = (
    select(Account, col(Membership.role))
    .outerjoin(
        Membership,
        and_(
            col(Membership.tenant_id) == bindparam("tenant_id"),
            col(Membership.account_id) == col(Account.id),
            col(Membership.status).in_(LIVE_STATUSES),
        ),
    )
    .where(col(Account.id) == bindparam("account_id"))
)


async def account_and_roles(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> tuple[Account | None, frozenset[str]]:
    """An account and its live roles in a school (`live_roles`), in one query.

    The caller is named as `app.account_id` first: someone who is no member of this school
    is still visible to themself (row-level security on `account`), so they get 404, not 401.
    """
    await set_account(session, account_id)
    params = {"tenant_id": tenant_id, "account_id": account_id}
    rows = (await session.execute(_ACCOUNT_AND_ROLES, params)).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(role for _, role in rows if role is not None)


async def admins_from_source(
    session: AsyncSession, tenant_id: uuid.UUID, source_id: str
) -> Sequence[Membership]:
    """The school's admin memberships that `source_id` (e.g. the tenant file) made."""
    result = await session.execute(
        select(Membership).where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.role) == Role.SCHOOL_ADMIN,
            col(Membership.source_id) == source_id,
        )
    )
    return result.scalars().all()


async def memberships_of_account(
    session: AsyncSession, account_id: uuid.UUID
) -> Sequence[tuple[Membership, Tenant]]:
    """Across schools: RLS admits these rows through `app.account_id` (set by the caller)."""
    result = await session.execute(
        select(Membership, Tenant)
        .join(Tenant, col(Tenant.id) == col(Membership.tenant_id))
        .where(col(Membership.account_id) == account_id)
        .order_by(col(Tenant.slug), col(Membership.role))
    )
    return [(m, t) for m, t in result.all()]
