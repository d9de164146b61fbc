"""The audit chain: sealing, and `rostra audit verify` catching removed, edited, moved entries."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import Uuid, bindparam, select, text
from sqlmodel import col
from typer.testing import CliRunner

from app.authz.models import AuditEntry
from app.authz.sealing import seal_all, seal_school, verify_school
from app.cli import app as cli_app
from app.core.config import get_settings
from app.core.db import set_tenant
from tests.authz.world import add_entry

A = "demo-north"


@pytest.fixture
def cli_env(monkeypatch, settings):
    """`rostra` in-process against the test databases (the CLI connects as the owner)."""
    monkeypatch.setenv("ROSTRA_ENV", "test")
    monkeypatch.setenv("ROSTRA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ROSTRA_MIGRATE_DATABASE_URL", settings.owner_database_url)
    monkeypatch.setenv("ROSTRA_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ROSTRA_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def rostra(*args: str) -> Any:
    # The command runs its own event loop: give it a thread.
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


async def _entries(owner, tenant, n: int) -> list[uuid.UUID]:
    return [
        await add_entry(owner, tenant, subjects=[uuid.uuid4()] if i % 2 else [], kind="member")
        for i in range(n)
    ]


async def _sealed(owner, tenant) -> list[AuditEntry]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        rows = await session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.tenant_id) == tenant.id)
            .order_by(col(AuditEntry.seq))
        )
        return list(rows.scalars())


async def _owner_sql(owner, tenant, *statements: str, **params: Any) -> None:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        for statement in statements:
            # Ids bound as the Uuid type: SQLite stores them as 32 hex digits.
            typed = [bindparam(k, type_=Uuid()) for k in params if f":{k}" in statement]
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            await session.execute(text(statement).bindparams(*typed), used)


async def test_seal_chains_entries_and_verify_passes(owner, schools, cli_env):
    north, south = schools[A], schools["demo-south"]
    ids = await _entries(owner, north, 5)
    await _entries(owner, south, 2)

    sealed = await rostra("audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    assert f"{A}: sealed 5 entries" in sealed.output and "demo-south: sealed 2" in sealed.output
    rows = await _sealed(owner, north)
    assert [r.id for r in rows] == ids and [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))

    later = await _entries(owner, north, 2)
    verified = await rostra("audit", "verify", A)
    assert verified.exit_code == 0, verified.output
    assert "5 sealed entries checked, 2 not sealed yet" in verified.output
    assert "chain intact" in verified.output
    assert (await rostra("audit", "seal", A)).output.strip() == f"{A}: sealed 2 entries"
    assert [r.id for r in await _sealed(owner, north)][-2:] == later
    assert (await rostra("audit", "verify", "no-such-school")).exit_code == 2


async def test_verify_names_an_edited_entry(owner, schools, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 4)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner, north, "UPDATE auditentry SET purpose = 'security' WHERE id = :id", id=ids[2]
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1
    assert f"entry {ids[2]} (seq 3) edited" in result.output


async def test_verify_names_an_entry_whose_subjects_changed(owner, schools, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 4)
    await rostra("audit", "seal", A)
    await _owner_sql(owner, north, "DELETE FROM auditsubject WHERE entry_id = :id", id=ids[1])
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1 and f"entry {ids[1]} (seq 2) edited" in result.output


async def test_verify_names_a_removed_entry(owner, schools, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 5)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner,
        north,
        "DELETE FROM auditsubject WHERE entry_id = :id",
        "DELETE FROM auditentry WHERE id = :id",
        id=ids[2],
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1
    assert f"entry seq 3 removed (the next sealed entry is {ids[3]}, seq 4)" in result.output


async def test_verify_notices_the_newest_entry_removed(owner, schools, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 3)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner,
        north,
        "DELETE FROM auditsubject WHERE entry_id = :id",
        "DELETE FROM auditentry WHERE id = :id",
        id=ids[-1],
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1 and "entry seq 3 removed" in result.output


async def test_verify_names_a_reordered_entry(owner, schools, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 5)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner,
        north,
        "UPDATE auditentry SET seq = -1 WHERE id = :x",
        "UPDATE auditentry SET seq = 2 WHERE id = :y",
        "UPDATE auditentry SET seq = 3 WHERE id = :x",
        x=ids[1],
        y=ids[2],
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1
    assert f"entry {ids[2]} (seq 2) does not follow the entry before it" in result.output
    assert "reordered" in result.output


async def test_verify_survives_data_edited_into_nonsense(owner, schools, database, cli_env):
    north = schools[A]
    ids = await _entries(owner, north, 4)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner, north, "UPDATE auditentry SET hash = 'not a hash' WHERE id = :id", id=ids[3]
    )
    if database.is_postgres:
        garbage = "UPDATE auditentry SET detail = '[1, {\"x\": null}]'::json WHERE id = :id"
    else:  # SQLite keeps whatever text it is given, even in a datetime column
        garbage = "UPDATE auditentry SET at = 'yesterday-ish', detail = '{oops' WHERE id = :id"
    await _owner_sql(owner, north, garbage, id=ids[1])
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1, result.output
    assert f"entry {ids[1]} (seq 2) edited" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


async def test_concurrent_sealers_never_share_a_position(owner, schools):
    north = schools[A]
    await _entries(owner, north, 40)

    async def one_sealer() -> int:
        async with owner.db.session() as session:
            return await seal_school(session, north.id, batch=7)

    counts = await asyncio.gather(*(one_sealer() for _ in range(4)))
    assert sum(counts) == 40
    rows = await _sealed(owner, north)
    assert [r.seq for r in rows] == list(range(1, 41))
    async with owner.db.session() as session:
        report = await verify_school(session, north.id)
    assert report.ok and report.sealed == 40 and report.unsealed == 0


async def test_background_sealer_runs_in_the_app_lifespan(app, owner, schools):
    north = schools[A]
    await _entries(owner, north, 3)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if all(r.seq is not None for r in await _sealed(owner, north)):
                break
            await asyncio.sleep(0.05)
    assert [r.seq for r in await _sealed(owner, north)] == [1, 2, 3]
    assert await seal_all(owner.db, A) == {A: 0}
