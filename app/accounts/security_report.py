"""A person reports their account may be taken over (SEC-14): protective action, on record."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import sessions
from app.accounts.models import Account, SecurityReport
from app.core import clock


async def report_compromise(session: AsyncSession, account: Account) -> SecurityReport:
    """Ends every session (this one too) and allows only an SMS-code sign-in next."""
    ended = await sessions.end_all(session, account)
    account.code_required = True
    report = SecurityReport(account_id=account.id, sessions_ended=ended, created_at=clock.now())
    session.add(report)
    await session.flush()
    return report
