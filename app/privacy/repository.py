"""Queries on notices, acceptances, consent withdrawals and legal holds (school queries take
the school)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.repository import in_school
from app.privacy.models import (
    ConsentWithdrawal,
    LegalHold,
    Notice,
    NoticeAcceptance,
    PlatformNotice,
)


async def platform_notices(session: AsyncSession) -> Sequence[PlatformNotice]:
    result = await session.execute(
        select(PlatformNotice).order_by(col(PlatformNotice.published_at), col(PlatformNotice.id))
    )
    return result.scalars().all()


async def platform_notice(session: AsyncSession, version: str) -> PlatformNotice | None:
    result = await session.execute(
        select(PlatformNotice).where(col(PlatformNotice.version) == version)
    )
    return result.scalar_one_or_none()


async def school_notices(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Notice]:
    query = in_school(Notice, tenant_id).order_by(col(Notice.published_at), col(Notice.id))
    found: Sequence[Notice] = (await session.execute(query)).scalars().all()
    return found


async def school_notice(session: AsyncSession, tenant_id: uuid.UUID, version: str) -> Notice | None:
    query = in_school(Notice, tenant_id, col(Notice.version) == version)
    found: Notice | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def acceptances(
    session: AsyncSession, account_id: uuid.UUID
) -> dict[uuid.UUID, NoticeAcceptance]:
    result = await session.execute(
        select(NoticeAcceptance).where(col(NoticeAcceptance.account_id) == account_id)
    )
    return {a.notice_id: a for a in result.scalars()}


async def open_withdrawals(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> dict[str, ConsentWithdrawal]:
    """Category -> the withdrawal not yet restored, for one person in one school."""
    query = in_school(
        ConsentWithdrawal,
        tenant_id,
        col(ConsentWithdrawal.account_id) == account_id,
        col(ConsentWithdrawal.restored_at).is_(None),
    )
    return {w.category: w for w in (await session.execute(query)).scalars()}


async def withdrawals_of(
    session: AsyncSession, tenant_id: uuid.UUID, account_ids: Iterable[uuid.UUID]
) -> Sequence[ConsentWithdrawal]:
    """Every withdrawal (open or restored) of these people in one school, oldest first."""
    query = in_school(
        ConsentWithdrawal, tenant_id, col(ConsentWithdrawal.account_id).in_(list(account_ids))
    ).order_by(col(ConsentWithdrawal.withdrawn_at))
    found: Sequence[ConsentWithdrawal] = (await session.execute(query)).scalars().all()
    return found


async def active_holds(
    session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> list[LegalHold]:
    """The school's legal holds in force: not lifted, and without an end or ending later."""
    rows = await session.execute(
        select(LegalHold)
        .where(
            col(LegalHold.tenant_id) == tenant_id,
            col(LegalHold.lifted_at).is_(None),
            or_(col(LegalHold.until).is_(None), col(LegalHold.until) > now),
        )
        .order_by(col(LegalHold.placed_at), col(LegalHold.id))
    )
    return list(rows.scalars())
