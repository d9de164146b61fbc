"""Personal notices: a message to one person in the app, listed with `/v1/me/notices`.

An incident (SEC-11), the service's shutdown (SHD-1) or a school that leaves (an offer to
cancel the account) is told this way beside the SMS; each is written once per person and
thing (a retried job does not tell twice) and stays until the person acknowledges it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.core import clock
from app.privacy.models import PersonalNotice


class NoticeKind(StrEnum):
    INCIDENT = "incident"
    SHUTDOWN = "shutdown"
    OFFBOARDING = "offboarding"


LANGUAGES = ("zh", "en")


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "zh"


async def existing(
    session: AsyncSession, account_id: uuid.UUID, kind: NoticeKind, ref_id: uuid.UUID
) -> PersonalNotice | None:
    result = await session.execute(
        select(PersonalNotice).where(
            col(PersonalNotice.account_id) == account_id,
            col(PersonalNotice.kind) == kind,
            col(PersonalNotice.ref_id) == ref_id,
        )
    )
    return result.scalar_one_or_none()


async def tell(
    session: AsyncSession,
    account_id: uuid.UUID,
    kind: NoticeKind,
    ref_id: uuid.UUID,
    *,
    title: str,
    body: str,
    language: str,
    school_id: uuid.UUID | None = None,
) -> tuple[PersonalNotice, bool]:
    """The person's notice about `ref_id`, written now unless it exists (then False)."""
    found = await existing(session, account_id, kind, ref_id)
    if found is not None:
        return found, False
    notice = PersonalNotice(
        account_id=account_id,
        kind=kind,
        ref_id=ref_id,
        school_id=school_id,
        language=language_of(language),
        title=title[:200],
        body=body[:4000],
    )
    session.add(notice)
    await session.flush()
    return notice, True


async def notices_of(session: AsyncSession, account_id: uuid.UUID) -> Sequence[PersonalNotice]:
    """Unacknowledged first, then newest first."""
    result = await session.execute(
        select(PersonalNotice)
        .where(col(PersonalNotice.account_id) == account_id)
        .order_by(col(PersonalNotice.created_at).desc(), col(PersonalNotice.id).desc())
    )
    rows = result.scalars().all()
    return sorted(rows, key=lambda n: n.acknowledged_at is not None)


async def acknowledge(
    session: AsyncSession, account_id: uuid.UUID, notice_id: uuid.UUID
) -> PersonalNotice | None:
    """The person read it; None when it is not theirs (or does not exist)."""
    notice = await session.get(PersonalNotice, notice_id)
    if notice is None or notice.account_id != account_id:
        return None
    if notice.acknowledged_at is None:
        notice.acknowledged_at = clock.now()
        await session.flush()
    return notice


async def set_language(session: AsyncSession, account: Account, language: str) -> None:
    account.language = language_of(language)
    session.add(account)
    await session.flush()
