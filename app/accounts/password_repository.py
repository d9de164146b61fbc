"""Queries on failed sign-in tries, codes and passwords (platform table, per keyed phone hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import SignInFailure


async def failures_since(
    session: AsyncSession, phone_hash: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many wrong codes and passwords since `since`, and when the oldest of them was."""
    result = await session.execute(
        select(func.count(), func.min(col(SignInFailure.at))).where(
            col(SignInFailure.phone_hash) == phone_hash, col(SignInFailure.at) >= since
        )
    )
    count, oldest = result.one()
    return int(count), oldest


async def forget_failures(session: AsyncSession, phone_hash: str) -> None:
    await session.execute(delete(SignInFailure).where(col(SignInFailure.phone_hash) == phone_hash))
