"""Named locks that hold across processes: PostgreSQL advisory locks at transaction level.

Several API workers and job workers share one database; what must happen once (a seal run,
a periodic sweep) or one at a time (the tries and limits of one phone number) takes a
named lock here. The lock belongs to the transaction: it ends with the commit or the
rollback, so a process killed with -9 never leaves one behind.

On SQLite (the embedded, one-process mode) a lock is the process's own: an asyncio lock
held until the session of `Database.session()` ends (several processes need PostgreSQL).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import AT_END, Database, is_postgres

POLL_SECONDS = 0.2


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key of `name` (stable across processes and releases)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


# SQLite: one asyncio lock per (event loop, name) while someone holds or waits for it.
_LOCAL: weakref.WeakValueDictionary[tuple[int, str], asyncio.Lock] = weakref.WeakValueDictionary()


def _local(session: AsyncSession, name: str) -> tuple[asyncio.Lock, list[object]] | None:
    at_end = session.info.get(AT_END)
    if at_end is None:  # not a `Database.session()`: nothing would release it
        return None
    key = (id(asyncio.get_running_loop()), name)
    lock = _LOCAL.get(key)
    if lock is None:
        lock = _LOCAL[key] = asyncio.Lock()
    return lock, at_end


def _held_here(session: AsyncSession) -> set[str]:
    held: set[str] = session.info.setdefault("rostra.locks", set())
    return held


async def xact_lock(session: AsyncSession, name: str) -> None:
    """Wait for the lock `name`; held until `session`'s transaction ends."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        return
    found = _local(session, name)
    if found is None or name in _held_here(session):
        return
    lock, at_end = found
    await lock.acquire()
    _held_here(session).add(name)
    at_end.append(lock.release)


async def try_xact_lock(session: AsyncSession, name: str) -> bool:
    """Take the lock `name` if nobody holds it (held until the transaction ends)."""
    if is_postgres(session):
        result = await session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
        )
        return bool(result.scalar_one())
    found = _local(session, name)
    if found is None or name in _held_here(session):
        return True
    lock, at_end = found
    if lock.locked():
        return False
    await lock.acquire()
    _held_here(session).add(name)
    at_end.append(lock.release)
    return True


@asynccontextmanager
async def held(db: Database, name: str, *, wait: bool = False) -> AsyncIterator[bool]:
    """Hold `name` for the block in a transaction of its own; yields whether it is held.

    With `wait=False` the block sees False at once when another process holds the lock
    (skip the round: that process is doing it); with `wait=True` it waits its turn.
    """
    async with db.session() as session:
        if not wait:
            yield await try_xact_lock(session, name)
            return
        # Polled, not one waiting statement: a run may outlast the statement timeout (and
        # the holder is another process, which no asyncio event could tell of).
        while not await try_xact_lock(session, name):  # noqa: ASYNC110
            await asyncio.sleep(POLL_SECONDS)
        yield True
