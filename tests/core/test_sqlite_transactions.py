"""SQLite transactions that read, then write, in a savepoint (the portal's "database is
locked" flake, #10).

A savepoint outside a transaction begins a deferred one, whose first read fixes a
snapshot; once another connection has committed, its first write cannot upgrade that
snapshot and failed at once ("database is locked"), whatever the busy timeout. Such a
savepoint now begins the transaction with `BEGIN IMMEDIATE`: the commit beside it waits.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.core.ids import new_id
from app.tenancy.models import Tenant
from tests.conftest import BACKENDS


def _school(slug: str) -> Tenant:
    return Tenant(id=new_id(), slug=slug, name=slug, region="CN")


async def _commit_beside(db: Database, slug: str) -> None:
    """Another connection writes a school and commits."""
    async with db.session() as other:
        other.add(_school(slug))


async def _schools(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


@pytest.mark.parametrize("database", [BACKENDS[0]], indirect=True)
async def test_a_savepoint_reads_then_writes_while_another_connection_commits(settings):
    """Read in a savepoint (as a form does), a commit beside it, then the write."""
    db = Database(settings)
    try:
        async with db.session() as session, session.begin_nested():
            await session.execute(select(Tenant))  # the read: before, the snapshot
            beside = asyncio.create_task(_commit_beside(db, "beside"))
            await asyncio.sleep(0.3)
            assert not beside.done()  # the other writer waits for the write lock
            session.add(_school("mine"))
            await session.flush()  # before: "database is locked", at once
        await asyncio.wait_for(beside, 30)
        assert await _schools(db) == 2  # both landed
    finally:
        await db.dispose()


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
async def test_savepoints_inside_a_transaction_that_wrote_still_roll_back_alone(settings):
    """A savepoint after a write nests in that transaction: its rollback keeps the write."""
    db = Database(settings, settings.owner_database_url)  # schools are the owner's to write
    try:
        async with db.session() as session:
            session.add(_school("kept"))
            await session.flush()
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    session.add(_school("dropped"))
                    await session.flush()
                    raise RuntimeError("refused")
        async with db.session() as session:
            slugs = (await session.execute(select(Tenant.slug))).scalars().all()
        assert slugs == ["kept"]
    finally:
        await db.dispose()
