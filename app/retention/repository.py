"""Queries of the retention room: holds, runs, the deletion log. Always one school's rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.privacy.repository import active_holds as active_holds  # the holds are privacy's
from app.retention.models import DeletionLog, LegalHold, RetentionRun
from app.tenancy.models import Membership

_RUN = RetentionRun.__table__  # type: ignore[attr-defined]
_LOG = DeletionLog.__table__  # type: ignore[attr-defined]


async def hold(session: AsyncSession, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> LegalHold | None:
    row = await session.execute(
        select(LegalHold).where(col(LegalHold.tenant_id) == tenant_id, col(LegalHold.id) == hold_id)
    )
    return row.scalar_one_or_none()


async def recent_runs(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int
) -> list[RetentionRun]:
    rows = await session.execute(
        select(RetentionRun)
        .where(col(RetentionRun.tenant_id) == tenant_id)
        .order_by(col(RetentionRun.started_at).desc(), col(RetentionRun.id).desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def close_interrupted_runs(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Runs still 'running' when a new one starts were interrupted (a killed sweep): their
    counts are what their committed batches logged."""
    stale = await session.execute(
        select(_RUN.c.id).where(_RUN.c.tenant_id == tenant_id, _RUN.c.status == "running")
    )
    for run_id in stale.scalars():
        await session.execute(
            update(_RUN)
            .where(_RUN.c.tenant_id == tenant_id, _RUN.c.id == run_id)
            .values(status="interrupted", counts=await logged_counts(session, run_id))
        )


async def logged_counts(session: AsyncSession, run_id: uuid.UUID) -> dict[str, Any]:
    """{category: {table: {"deleted"|"anonymised": n}}} from a run's deletion log."""
    rows = await session.execute(
        select(_LOG.c.category, _LOG.c.table_name, _LOG.c.action, func.sum(_LOG.c.row_count))
        .where(_LOG.c.run_id == run_id)
        .group_by(_LOG.c.category, _LOG.c.table_name, _LOG.c.action)
    )
    counts: dict[str, Any] = {}
    for category, table, action, n in rows:
        field = "anonymised" if action == "anonymise" else "deleted"
        counts.setdefault(category, {}).setdefault(table, {})[field] = int(n)
    return counts


async def ever_a_member(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    """A person hold needs someone the school has (or had) data about."""
    found = await session.execute(
        select(col(Membership.id))
        .where(col(Membership.tenant_id) == tenant_id, col(Membership.account_id) == account_id)
        .limit(1)
    )
    return found.first() is not None
