"""The ingestion limit's count: events per school per clock minute, one row per window."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.classroom.ingest.repository import dialect_insert
from app.classroom.models import IngestRateWindow

KEEP_WINDOWS = timedelta(hours=1)  # older windows are deleted as new ones open


async def take(
    session: AsyncSession, tenant_id: uuid.UUID, minute: datetime, events: int, limit: int
) -> int | None:
    """Add `events` to the school's window if it stays within `limit`: the new count, else None.

    The conditional UPDATE is one statement, so concurrent batches in any number of
    processes cannot both pass the last free events of a minute.
    """
    table = IngestRateWindow.__table__  # type: ignore[attr-defined]
    opened = await session.execute(
        dialect_insert(session, table)
        .values(tenant_id=tenant_id, minute=minute, events=0)
        .on_conflict_do_nothing()
    )
    if opened.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            delete(IngestRateWindow).where(
                col(IngestRateWindow.tenant_id) == tenant_id,
                col(IngestRateWindow.minute) < minute - KEEP_WINDOWS,
            )
        )
    counted = await session.execute(
        update(IngestRateWindow)
        .where(
            col(IngestRateWindow.tenant_id) == tenant_id,
            col(IngestRateWindow.minute) == minute,
            col(IngestRateWindow.events) + events <= limit,
        )
        .values(events=col(IngestRateWindow.events) + events)
        .returning(col(IngestRateWindow.events))
    )
    return counted.scalar_one_or_none()
