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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.classroom.ingest import rate_repository
from app.core import clock
from app.core.db import Database, is_postgres
from app.core.errors import TooMany
from app.tenancy.repository import ingest_limit_of


def window_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def seconds_to_next_window(moment: datetime) -> int:
    return max(1, math.ceil(60 - (moment.second + moment.microsecond / 1e6)))


# One round trip: the school for row-level security, and a commit that does not wait for
# the disk (a count lost in a crash frees a few events of one minute: not worth a wait on
# every batch; the batch's own commit still waits).
_COUNTING = text(
    "SELECT set_config('synchronous_commit', 'off', true), "
    "set_config('app.tenant_id', :tenant, true)"
)


@asynccontextmanager
async def _counting_session(
    db: Database, request: AsyncSession, tenant_id: uuid.UUID
) -> AsyncIterator[AsyncSession]:
    if is_postgres(request):
        async with db.side_session() as session:
            await session.execute(_COUNTING, {"tenant": str(tenant_id)})
            yield session
    else:
        yield request  # no row-level security to set


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
    async with _counting_session(db, request, tenant_id) as session:
        limit = await ingest_limit_of(session, tenant_id) or default_per_minute
        counted = await rate_repository.take(session, tenant_id, window_of(moment), events, limit)
    if counted is None:
        retry = seconds_to_next_window(moment)
        raise TooMany(
            f"this school may send {limit} events per minute; "
            f"this batch of {events} would pass it; retry in {retry} s",
            retry_after=retry,
        )
