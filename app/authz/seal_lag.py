"""How far the audit sealer is behind: the oldest unsealed entry of any school (for /metrics)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.models import AuditEntry
from app.core import clock
from app.core.db import set_tenant
from app.tenancy.repository import all_tenants


async def seal_lag_seconds(session: AsyncSession) -> float:
    """Seconds since the oldest entry still waiting for its seal was written; 0 when none waits.

    One school at a time, as row-level security admits one school per query.
    """
    oldest = None
    for tenant in await all_tenants(session):
        await set_tenant(session, tenant.id)
        at = await session.scalar(
            select(func.min(col(AuditEntry.at))).where(
                col(AuditEntry.tenant_id) == tenant.id, col(AuditEntry.seq).is_(None)
            )
        )
        if at is not None and (oldest is None or at < oldest):
            oldest = at
    await set_tenant(session, None)
    if oldest is None:
        return 0.0
    return max(0.0, (clock.now() - oldest).total_seconds())
