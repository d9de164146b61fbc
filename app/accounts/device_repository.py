"""Queries on device sessions (one per refresh-token family; platform table, per account)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import DeviceSession, PlatformConsent, RefreshToken
from app.core.db import set_account


async def session_by_family(session: AsyncSession, family_id: uuid.UUID) -> DeviceSession | None:
    result = await session.execute(
        select(DeviceSession).where(col(DeviceSession.family_id) == family_id)
    )
    return result.scalar_one_or_none()


async def session_of_account(
    session: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID
) -> DeviceSession | None:
    """The account's own session by id; another person's answers None, like a missing one."""
    result = await session.execute(
        select(DeviceSession).where(
            col(DeviceSession.id) == session_id, col(DeviceSession.account_id) == account_id
        )
    )
    return result.scalar_one_or_none()


async def open_sessions(session: AsyncSession, account_id: uuid.UUID) -> list[DeviceSession]:
    result = await session.execute(
        select(DeviceSession)
        .where(col(DeviceSession.account_id) == account_id, col(DeviceSession.ended_at).is_(None))
        .order_by(col(DeviceSession.last_used_at).desc(), col(DeviceSession.id))
    )
    return list(result.scalars())


async def revoke_account_tokens(
    session: AsyncSession, account_id: uuid.UUID, at: datetime, keep_family: uuid.UUID | None
) -> None:
    """Every refresh token of the account stops working, except those of `keep_family`."""
    await set_account(session, account_id)  # row-level security: the person's own tokens
    query = update(RefreshToken).where(
        col(RefreshToken.account_id) == account_id, col(RefreshToken.revoked_at).is_(None)
    )
    if keep_family is not None:
        query = query.where(col(RefreshToken.family_id) != keep_family)
    await session.execute(query.values(revoked_at=at))


async def platform_consent(
    session: AsyncSession, account_id: uuid.UUID, category: str
) -> PlatformConsent | None:
    result = await session.execute(
        select(PlatformConsent).where(
            col(PlatformConsent.account_id) == account_id, col(PlatformConsent.category) == category
        )
    )
    return result.scalar_one_or_none()


async def forget_locations(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Consent withdrawn: no session of the account keeps a city."""
    await session.execute(
        update(DeviceSession)
        .where(
            col(DeviceSession.account_id) == account_id, col(DeviceSession.location).is_not(None)
        )
        .values(location=None)
    )
