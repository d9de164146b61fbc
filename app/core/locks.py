"""Named locks that hold across processes: PostgreSQL advisory locks at transaction level.

Several API workers and job workers share one database; what must happen once (a seal run,
a periodic sweep) or one at a time (the tries and limits of one phone number) takes a
named lock here. The lock belongs to the transaction: it ends with the commit or the
rollback, so a process killed with -9 never leaves one behind.

On SQLite (the embedded, one-process mode) these are no-ops: SQLite lets one writer at a
time anyway, and several processes need PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, is_postgres


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key of `name` (stable across processes and releases)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def xact_lock(session: AsyncSession, name: str) -> None:
    """Wait for the lock `name`; held until `session`'s transaction ends."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


async def try_xact_lock(session: AsyncSession, name: str) -> bool:
    """Take the lock `name` if nobody holds it (held until the transaction ends)."""
    if not is_postgres(session):
        return True
    result = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
    )
    return bool(result.scalar_one())


@asynccontextmanager
async def held(db: Database, name: str, *, wait: bool = False) -> AsyncIterator[bool]:
    """Hold `name` for the block in a transaction of its own; yields whether it is held.

    With `wait=False` the block sees False at once when another process holds the lock
    (skip the round: that process is doing it); with `wait=True` it waits its turn.
    """
    async with db.session() as session:
        if wait:
            await xact_lock(session, name)
            yield True
        else:
            yield await try_xact_lock(session, name)
