"""SQLite transactions that read, then write (the portal's "database is locked" flake, #10).

A deferred transaction holds a snapshot from its first read; once another connection has
committed, its first write cannot upgrade that snapshot and fails at once ("database is
locked"), whatever the busy timeout. `Database.session(immediate=True)` begins with the
write lock, so a commit beside it waits its turn instead.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.core.db import Database
from app.core.ids import new_id
from app.tenancy.models import Tenant
from tests.conftest import BACKENDS

sqlite_only = pytest.mark.parametrize("database", [BACKENDS[0]], indirect=True)


def _school(slug: str) -> Tenant:
    return Tenant(id=new_id(), slug=slug, name=slug, region="CN")


async def _commit_beside(db: Database, slug: str) -> None:
    """Another connection writes a school and commits."""
    async with db.session() as other:
        other.add(_school(slug))


async def _schools(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


@sqlite_only
async def test_a_deferred_read_then_write_loses_to_a_commit_in_between(settings):
    """The race itself: read (in a savepoint, as a form does), a commit beside, then write."""
    db = Database(settings)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.session() as session, session.begin_nested():
                await session.execute(select(Tenant))  # the snapshot
                await _commit_beside(db, "beside")
                session.add(_school("mine"))
                await session.flush()
        assert await _schools(db) == 1  # only the one beside
    finally:
        await db.dispose()


@sqlite_only
async def test_an_immediate_transaction_reads_then_writes_and_the_commit_beside_waits(settings):
    db = Database(settings)
    try:
        async with db.session(immediate=True) as session, session.begin_nested():
            await session.execute(select(Tenant))
            beside = asyncio.create_task(_commit_beside(db, "beside"))
            await asyncio.sleep(0.3)
            assert not beside.done()  # waiting for the write lock, not failing
            session.add(_school("mine"))
            await session.flush()
        await asyncio.wait_for(beside, 30)
        assert await _schools(db) == 2
    finally:
        await db.dispose()


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
async def test_an_immediate_session_reads_and_writes_on_either_database(settings):
    db = Database(settings, settings.owner_database_url)  # schools are the owner's to write
    try:
        async with db.session(immediate=True) as session:
            await session.execute(select(Tenant))
            session.add(_school("mine"))
        assert await _schools(db) == 1
    finally:
        await db.dispose()
