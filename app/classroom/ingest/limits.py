"""A school's ingestion rate: events per clock minute, counted in the database, 429 past it.

On PostgreSQL the count is taken in its own short transaction (from a small pool of its
own) before the batch's: a batch's transaction may run for seconds, and holding the
window's row lock that long would serialise every batch of a school; a batch refused
later (422) has still used its share.
SQLite has one writer at a time (the request's transaction already writes), so there the
count is part of the batch's transaction.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.ingest import rate_repository
from app.core import clock
from app.core.db import Database, is_postgres, set_tenant
from app.core.errors import TooMany
from app.tenancy.repository import tenant_by_id


def window_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def seconds_to_next_window(moment: datetime) -> int:
    return max(1, math.ceil(60 - (moment.second + moment.microsecond / 1e6)))


@asynccontextmanager
async def _counting_session(db: Database, request: AsyncSession) -> AsyncIterator[AsyncSession]:
    if is_postgres(request):
        async with db.side_session() as session:
            yield session
    else:
        yield request


async def admit_batch(
    db: Database,
    request: AsyncSession,
    tenant_id: uuid.UUID,
    events: int,
    default_per_minute: int,
) -> None:
    """Count the batch against the school's minute, or raise 429 with `Retry-After`."""
    if events <= 0:
        return
    moment = clock.now()
    async with _counting_session(db, request) as session:
        tenant = await tenant_by_id(session, tenant_id)
        limit = (tenant.ingest_events_per_minute if tenant else None) or default_per_minute
        await set_tenant(session, tenant_id)
        counted = await rate_repository.take(session, tenant_id, window_of(moment), events, limit)
    if counted is None:
        retry = seconds_to_next_window(moment)
        raise TooMany(
            f"this school may send {limit} events per minute; "
            f"this batch of {events} would pass it; retry in {retry} s",
            retry_after=retry,
        )
