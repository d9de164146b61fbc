"""Named locks (#18): on PostgreSQL advisory locks held by one transaction at a time across
connections, on SQLite the process's own; released when the transaction ends. The audit
sealer's round is skipped while another process seals (SEC-7)."""

from __future__ import annotations

import asyncio

import pytest

from app.authz.sealing import SEALER_LOCK, seal_all, seal_round
from app.core import locks
from app.core.context import ServiceContext
from tests.conftest import BACKENDS, postgres_only


def test_lock_keys_are_stable_64_bit_numbers():
    assert locks.lock_key("audit-sealer") == locks.lock_key("audit-sealer")
    assert locks.lock_key("audit-sealer") != locks.lock_key("audit-sealer ")
    assert -(2**63) <= locks.lock_key("x") < 2**63


@postgres_only
async def test_a_held_lock_is_refused_to_others_until_the_transaction_ends(owner, database):
    other = ServiceContext.build(owner.settings)
    try:
        async with locks.held(owner.db, "sweep") as mine:
            assert mine
            async with locks.held(other.db, "sweep") as theirs:
                assert not theirs
            async with locks.held(other.db, "another sweep") as unrelated:
                assert unrelated
        async with locks.held(other.db, "sweep") as after:
            assert after  # released with the first transaction
    finally:
        await other.db.dispose()


@postgres_only
async def test_sealer_round_skips_while_another_process_seals_and_the_command_waits(
    owner, schools, database
):
    other = ServiceContext.build(owner.settings)
    try:
        async with locks.held(other.db, SEALER_LOCK):
            assert await seal_round(owner.db) is None  # someone else is sealing: skip
            waiting = asyncio.create_task(seal_all(owner.db))
            await asyncio.sleep(0.3)
            assert not waiting.done()  # `rostra audit seal` waits its turn
        sealed = await asyncio.wait_for(waiting, 10)
        assert set(sealed) == set(schools)
        assert await seal_round(owner.db) == dict.fromkeys(schools, 0)
    finally:
        await other.db.dispose()


@pytest.mark.parametrize("database", [BACKENDS[0]], indirect=True)
async def test_on_sqlite_a_lock_is_the_processs_own_until_the_session_ends(owner, database):
    async with locks.held(owner.db, "sweep") as mine:
        assert mine
        async with locks.held(owner.db, "sweep") as theirs:
            assert not theirs
        waiting = asyncio.create_task(_wait_for(owner, "sweep"))
        await asyncio.sleep(0.1)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)  # released when the first session ended
    async with locks.held(owner.db, "sweep") as again:
        assert again


async def _wait_for(owner: ServiceContext, name: str) -> None:
    async with locks.held(owner.db, name, wait=True):
        pass


@postgres_only
async def test_the_daily_sweep_skips_while_another_process_sweeps(owner, schools, database):
    """RET (#18): the periodic sweep runs once, whatever the number of job workers."""
    from sqlalchemy import func, select

    from app.retention.models import PlatformRetentionRun
    from app.retention.service import SWEEP_LOCK
    from app.retention.tasks import daily_sweep

    async def runs() -> int:
        async with owner.db.session() as session:
            query = select(func.count()).select_from(PlatformRetentionRun)
            return int((await session.execute(query)).scalar_one())

    other = ServiceContext.build(owner.settings)
    try:
        async with locks.held(other.db, SWEEP_LOCK):
            await daily_sweep(owner, {})
            assert await runs() == 0  # skipped: the other process holds the sweep
        await daily_sweep(owner, {})
        assert await runs() == 1
    finally:
        await other.db.dispose()
