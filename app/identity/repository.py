"""Queries on external identities and provider sign-in attempts (platform tables)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import set_account, set_identity_lookup, set_oidc_lookup, set_tenant
from app.core.repository import page_by_key
from app.identity.models import ExternalIdentity, OidcAttempt
from app.tenancy.models import Membership, MembershipStatus, Tenant


async def add_attempt(session: AsyncSession, attempt: OidcAttempt) -> None:
    await set_oidc_lookup(session, attempt.state_hash)  # row-level security: this attempt
    session.add(attempt)
    await session.flush()


async def attempt_by_state(
    session: AsyncSession, school_id: uuid.UUID, state_hash: str
) -> OidcAttempt | None:
    """The school's attempt with this state; another school's answers None, like a missing one."""
    return await _attempt_by(session, school_id, col(OidcAttempt.state_hash), state_hash)


async def attempt_by_link(
    session: AsyncSession, school_id: uuid.UUID, link_hash: str
) -> OidcAttempt | None:
    return await _attempt_by(session, school_id, col(OidcAttempt.link_hash), link_hash)


async def _attempt_by(
    session: AsyncSession, school_id: uuid.UUID, column: Any, digest: str
) -> OidcAttempt | None:
    """The school's attempt whose `column` (state or pending-link hash) is `digest`."""
    await set_oidc_lookup(session, digest)  # row-level security: this attempt only
    result = await session.execute(
        select(OidcAttempt).where(column == digest, col(OidcAttempt.school_id) == school_id)
    )
    return result.scalar_one_or_none()


async def claim_attempt(session: AsyncSession, attempt_id: uuid.UUID, at: datetime) -> bool:
    """Marks the attempt used if nobody has: one conditional UPDATE, so a replay loses."""
    return await _claim(session, attempt_id, col(OidcAttempt.used_at), at)


async def claim_link(session: AsyncSession, attempt_id: uuid.UUID, at: datetime) -> bool:
    return await _claim(session, attempt_id, col(OidcAttempt.linked_at), at)


async def _claim(session: AsyncSession, attempt_id: uuid.UUID, stamp: Any, at: datetime) -> bool:
    """Sets the attempt's `stamp` (used or linked) if it is still empty: only one caller wins."""
    result = await session.execute(
        update(OidcAttempt)
        .where(col(OidcAttempt.id) == attempt_id, stamp.is_(None))
        .values({stamp: at})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def identity_by_lookup(session: AsyncSession, lookup_hash: str) -> ExternalIdentity | None:
    await set_identity_lookup(session, lookup_hash)
    result = await session.execute(
        select(ExternalIdentity).where(col(ExternalIdentity.lookup_hash) == lookup_hash)
    )
    return result.scalar_one_or_none()


async def identities_of(
    session: AsyncSession,
    account_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    fetch: int,
) -> Sequence[tuple[ExternalIdentity, Tenant]]:
    """The account's linked identities with the school whose provider each is, oldest first."""
    await set_account(session, account_id)
    query: Any = (  # two entities: a Select page_by_key's Select[Any] does not name
        select(ExternalIdentity, Tenant)
        .join(Tenant, col(Tenant.id) == col(ExternalIdentity.school_id))
        .where(col(ExternalIdentity.account_id) == account_id)
    )
    keys: list[Any] = [col(ExternalIdentity.linked_at), col(ExternalIdentity.id)]
    rows = (await session.execute(page_by_key(query, keys, after, fetch))).all()
    return [(row[0], row[1]) for row in rows]


async def identity_of_account(
    session: AsyncSession, account_id: uuid.UUID, identity_id: uuid.UUID
) -> ExternalIdentity | None:
    """The account's own identity by id; another person's answers None, like a missing one."""
    await set_account(session, account_id)
    result = await session.execute(
        select(ExternalIdentity).where(
            col(ExternalIdentity.id) == identity_id,
            col(ExternalIdentity.account_id) == account_id,
        )
    )
    return result.scalar_one_or_none()


async def confirmed_member(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """The person confirmed a membership of this school (not only the school's attestation)."""
    await set_tenant(session, tenant_id)
    result = await session.execute(
        select(col(Membership.id))
        .where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.account_id) == account_id,
            col(Membership.status) == MembershipStatus.active,
        )
        .limit(1)
    )
    return result.scalar_one_or_none() is not None
