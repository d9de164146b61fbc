"""One budget of sign-in tries per number, shared by SMS codes and passwords (ACC-5, SEC-2).

A wrong code and a wrong password are the same failure: `otp_max_attempts` of them since
the latest code was sent (and within a code's lifetime) lock both ways in; a new code,
which only the phone's holder receives, opens a new budget. Over a day a number gets at
most `otp_max_attempts * otp_daily_limit` tries, as many as its codes allow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import password_repository, repository
from app.accounts.models import SignInFailure
from app.core import clock
from app.core.config import Settings


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)


async def retry_after(session: AsyncSession, settings: Settings, phone_hash: str) -> int | None:
    """Seconds until the number may try again, or None while it has tries left."""
    now = clock.now()
    window = timedelta(seconds=settings.otp_ttl_seconds)
    since = now - window
    latest = await repository.latest_code(session, phone_hash)
    if latest is not None and latest.created_at > since:
        since = latest.created_at
    count, oldest = await password_repository.failures_since(session, phone_hash, since)
    if count >= settings.otp_max_attempts:
        return _seconds_until((oldest or now) + window, now)
    day = timedelta(days=1)
    count, oldest = await password_repository.failures_since(session, phone_hash, now - day)
    if count >= settings.otp_max_attempts * settings.otp_daily_limit:
        return _seconds_until((oldest or now) + day, now)
    return None


def count_failure(session: AsyncSession, phone_hash: str, via: str) -> None:
    session.add(SignInFailure(phone_hash=phone_hash, via=via, at=clock.now()))


async def forget_failures(session: AsyncSession, phone_hash: str) -> None:
    """A right code or password: the person holds the number or its secret."""
    await password_repository.forget_failures(session, phone_hash)
