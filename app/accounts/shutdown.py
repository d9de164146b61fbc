"""The service's announced shutdown, as every sign-in answer shows it (SHD-1/2).

Platform staff schedule it (the lifecycle domain); the account domain only reads it, so
the token answers can carry it without depending on the domains above.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import ServiceShutdown

SCHEDULED = "scheduled"


class ServiceNotice(BaseModel):
    """Rostra stops operating at `ends_at`; personal data is then deleted or anonymised."""

    kind: str = "shutdown"
    ends_at: datetime
    message_zh: str
    message_en: str


async def announced(session: AsyncSession) -> ServiceShutdown | None:
    result = await session.execute(
        select(ServiceShutdown)
        .where(col(ServiceShutdown.status) == SCHEDULED)
        .order_by(col(ServiceShutdown.created_at).desc())
    )
    return result.scalars().first()


async def service_notice(session: AsyncSession) -> ServiceNotice | None:
    shutdown = await announced(session)
    if shutdown is None:
        return None
    return ServiceNotice(
        ends_at=shutdown.ends_at, message_zh=shutdown.message_zh, message_en=shutdown.message_en
    )


async def closed(session: AsyncSession) -> bool:
    """The final job has run: the service no longer operates."""
    result = await session.execute(
        select(col(ServiceShutdown.id)).where(col(ServiceShutdown.status) == "done").limit(1)
    )
    return result.first() is not None
