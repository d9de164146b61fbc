"""The audit chain: sealing, and `rostra audit verify` catching removed, edited, moved entries.

The chain is keyed (HMAC under `ROSTRA_AUDIT_KEY`) and each seal run publishes a signed
checkpoint of the head outside the database, so someone who can write the database can
neither recompute hashes nor cut entries off the end (SEC-7).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Uuid, bindparam, select, text
from sqlmodel import col
from typer.testing import CliRunner

from app.authz.checkpoints import ChainSigning
from app.authz.models import AuditEntry, AuditSubject
from app.authz.sealing import canonical, seal_all, seal_school
from app.authz.verification import verify_school
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
            typed = [
                bindparam(k, type_=Uuid())
                for k, v in params.items()
                if f":{k}" in statement and isinstance(v, uuid.UUID)
            ]
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
    assert result.exit_code == 1 and f"entry {ids[-1]} (seq 3) removed" in result.output


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

    signing = ChainSigning.from_settings(owner.settings)

    async def one_sealer() -> int:
        async with owner.db.session() as session:
            return (await seal_school(session, north.id, signing.chain_key, batch=7)).count

    counts = await asyncio.gather(*(one_sealer() for _ in range(4)))
    assert sum(counts) == 40
    rows = await _sealed(owner, north)
    assert [r.seq for r in rows] == list(range(1, 41))
    async with owner.db.session() as session:
        report = await verify_school(session, north.id, signing)
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


async def _head(owner, tenant) -> tuple[int, str]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        row = await session.execute(
            text("SELECT seq, hash FROM auditchainhead WHERE tenant_id = :t").bindparams(
                bindparam("t", type_=Uuid())
            ),
            {"t": tenant.id},
        )
        seq, digest = row.one()
        return int(seq), str(digest)


async def test_untouched_chain_verifies_against_its_signed_checkpoint(
    owner, schools, settings, cli_env
):
    """Each seal run publishes the head, signed, outside the database (SEC-7)."""
    north = schools[A]
    ids = await _entries(owner, north, 3)
    await rostra("audit", "seal", A)
    folder = settings.checkpoint_dir / str(north.id)
    first = json.loads((folder / f"{3:020d}.json").read_text())
    assert first["seq"] == 3 and first["entry_id"] == str(ids[-1])
    await _entries(owner, north, 2)
    await rostra("audit", "seal", A)
    assert sorted(p.name for p in folder.glob("*.json")) == [f"{3:020d}.json", f"{5:020d}.json"]
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 0, result.output
    assert f"checked against checkpoint {north.id}/{5:020d}.json (seq 5)" in result.output
    assert "chain intact" in result.output


async def test_verify_names_the_newest_entry_cut_off_with_the_head_moved_back(
    owner, schools, cli_env
):
    """Deleting the last sealed entry and moving the head back to its predecessor (SEC-7)."""
    north = schools[A]
    ids = await _entries(owner, north, 4)
    await rostra("audit", "seal", A)
    rows = await _sealed(owner, north)
    await _owner_sql(
        owner,
        north,
        "DELETE FROM auditsubject WHERE entry_id = :id",
        "DELETE FROM auditentry WHERE id = :id",
        "UPDATE auditchainhead SET seq = 3, hash = :h WHERE tenant_id = :t",
        id=ids[-1],
        t=north.id,
        h=rows[2].hash,
    )
    assert await _head(owner, north) == (3, rows[2].hash)
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1, result.output
    assert f"entry {ids[-1]} (seq 4) removed" in result.output
    assert f"checkpoint {north.id}/{4:020d}.json signed the chain up to seq 4" in result.output


async def test_verify_catches_the_newest_entry_forged_with_a_recomputed_plain_hash(
    owner, schools, cli_env
):
    """Replace the newest sealed entry's data and recompute a SHA-256 chain hash (SEC-7)."""
    north = schools[A]
    ids = await _entries(owner, north, 3)
    await rostra("audit", "seal", A)
    await _owner_sql(
        owner,
        north,
        "UPDATE auditentry SET purpose = 'security', record_kind = 'course' WHERE id = :id",
        id=ids[-1],
    )
    forged = next(r for r in await _sealed(owner, north) if r.id == ids[-1])
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        subjects = (
            await session.execute(
                select(col(AuditSubject.account_id)).where(col(AuditSubject.entry_id) == ids[-1])
            )
        ).scalars()
        plain = hashlib.sha256(
            f"{forged.prev_hash}\n{canonical(forged, list(subjects))}".encode()
        ).hexdigest()
    await _owner_sql(
        owner,
        north,
        "UPDATE auditentry SET hash = :h WHERE id = :id",
        "UPDATE auditchainhead SET hash = :h WHERE tenant_id = :t",
        id=ids[-1],
        t=north.id,
        h=plain,
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1, result.output
    assert f"entry {ids[-1]} (seq 3) edited: its hash does not match its data" in result.output


async def test_verify_refuses_a_forged_checkpoint(owner, schools, settings, cli_env):
    """A checkpoint written without the audit key, naming a shorter chain (SEC-7)."""
    north = schools[A]
    await _entries(owner, north, 3)
    await rostra("audit", "seal", A)
    folder = settings.checkpoint_dir / str(north.id)
    genuine = json.loads((folder / f"{3:020d}.json").read_text())
    forged = {**genuine, "seq": 9, "hash": "f" * 64}
    (folder / f"{9:020d}.json").write_text(json.dumps(forged))
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1, result.output
    assert f"checkpoint {north.id}/{9:020d}.json is forged or altered" in result.output

    other_key = ChainSigning.from_settings(settings.model_copy(update={"audit_key": "x" * 40}))
    (folder / f"{9:020d}.json").unlink()
    await other_key.write(
        north.id, 3, uuid.UUID(genuine["entry_id"]), genuine["hash"], north.created_at
    )
    result = await rostra("audit", "verify", A)
    assert result.exit_code == 1, result.output
    assert f"checkpoint {north.id}/{3:020d}.json is forged or altered" in result.output
