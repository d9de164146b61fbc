"""A backup taken before a sweep (or an offboarding), restored, then the deletion log replayed
into it: the rows the sweep deleted are gone from the restored copy too, rollups again only
as tallies, an offboarded school entirely, and a second replay changes nothing (RET-6,
TPS-8; docs/operations.md). PostgreSQL: pg_dump / pg_restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.core import clock
from app.core.config import ROOT
from app.core.db import Database
from app.core.migrate import sync_url
from app.lifecycle import offboarding
from app.lifecycle.deletion import count_rows, delete_school, verify
from app.lifecycle.models import DeletionProof
from app.retention.models import DeletionLog
from app.retention.service import sweep_all
from app.tenancy.repository import tenant_by_slug
from tests.conftest import PG_ADMIN, PG_HOST, postgres_only


def _rostra(settings, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_VAR_DIR": str(settings.var_dir),
        "ROSTRA_OBJECT_STORE_DIR": str(settings.object_store_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _pg(tool: str, *args: str) -> None:
    host, port = PG_HOST.split(":")
    subprocess.run([tool, "-h", host, "-p", port, "-U", PG_ADMIN, *args], check=True)


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def _admin(sql: str) -> None:
    engine = create_engine(
        f"postgresql+psycopg://{PG_ADMIN}@{PG_HOST}/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@postgres_only
async def test_ret6_a_restored_backup_loses_again_what_the_log_says_was_deleted(
    settings, owner, world, tmp_path: Path
):
    live = settings.owner_database_url
    name = make_url(live).database
    backup, log = tmp_path / "before.dump", tmp_path / "deletions.jsonl"
    _pg("pg_dump", "-Fc", "-f", str(backup), str(name))

    await sweep_all(owner.db, settings, None, None, dry_run=False, batch_size=9, trigger="cli")
    exported = _rostra(settings, live, "retention", "export-log", str(log))
    assert exported.returncode == 0, exported.stderr
    entries = [json.loads(line) for line in log.open()]
    deleted = sum(e["rows"] for e in entries)
    assert deleted == 2 * (40 + 2 + 2 + 1 + 1)

    restored = f"{name}_restored"
    _admin(f'DROP DATABASE IF EXISTS "{restored}"')
    _admin(f'CREATE DATABASE "{restored}"')
    try:
        _pg("pg_restore", "-d", restored, str(backup))
        copy = str(make_url(live).set(database=restored))
        events = "SELECT count(*) FROM classroom_event"
        assert _scalar(copy, events) == 160  # the backup still has the expired rows
        assert _scalar(copy, "SELECT count(*) FROM deletion_log") == 0

        replayed = _rostra(settings, copy, "retention", "replay", str(log))
        assert replayed.returncode == 0, replayed.stderr
        assert f"replayed {len(entries)} deletion log entries ({deleted} rows)" in replayed.stdout
        assert _scalar(copy, events) == _scalar(live, events) == 80
        assert _scalar(copy, "SELECT count(*) FROM lesson_rollup") == 0
        assert _scalar(copy, "SELECT count(*) FROM recording_grant") == 0
        assert _scalar(copy, "SELECT count(*) FROM lesson_file WHERE kind = 'recording'") == 0
        assert _scalar(copy, "SELECT sum(participants) FROM lesson_tally") == 4
        assert _scalar(copy, "SELECT sum(row_count) FROM deletion_log") == deleted

        again = _rostra(settings, copy, "retention", "replay", str(log))
        assert again.returncode == 0, again.stderr
        assert f"already gone: {deleted}" in again.stdout
        assert _scalar(copy, "SELECT sum(participants) FROM lesson_tally") == 4
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


async def _school_rows(settings, url: str, school) -> dict[str, int]:
    db = Database(settings, url)
    try:
        async with db.session() as session:
            return await count_rows(session, school)
    finally:
        await db.dispose()


@postgres_only
async def test_ret6_tps8_a_restored_backup_loses_again_a_school_offboarded_after_it(
    settings, owner, world, tmp_path: Path
):
    """The offboarded school's whole-school entry, replayed, deletes every row of it in the
    restored copy by the offboarding deletion (a signed proof there too) and frees its slug;
    the other school, swept after the backup, comes out as it is live."""
    live = settings.owner_database_url
    name = make_url(live).database
    backup, log = tmp_path / "before.dump", tmp_path / "deletions.jsonl"
    north, south = world["demo-north"].tenant.id, world["demo-south"].tenant.id
    _pg("pg_dump", "-Fc", "-f", str(backup), str(name))

    await sweep_all(owner.db, settings, "demo-south", None, dry_run=False, batch_size=9,
                    trigger="cli")  # fmt: skip
    async with owner.db.session() as session:
        tenant = await tenant_by_slug(session, "demo-north")
        assert tenant is not None
        row, _ = await offboarding.start(session, tenant, None, delete_after=clock.now())
    proof = await delete_school(owner, row.id)
    assert proof is not None and set(proof.rows_after.values()) == {0}
    rows_north = sum(proof.rows_before.values())
    assert _rostra(settings, live, "retention", "export-log", str(log)).returncode == 0
    entries = [json.loads(line) for line in log.open()]
    whole = [e for e in entries if e["action"] == "school"]
    assert [(e["school_id"], e["table_name"], e["rows"]) for e in whole] == [
        (str(north), "tenant", rows_north)
    ]
    assert entries[-1] == whole[0]  # after the sweep's entries

    restored = f"{name}_restored"
    _admin(f'DROP DATABASE IF EXISTS "{restored}"')
    _admin(f'CREATE DATABASE "{restored}"')
    try:
        _pg("pg_restore", "-d", restored, str(backup))
        copy = str(make_url(live).set(database=restored))
        slug = "SELECT count(*) FROM tenant WHERE slug = 'demo-north'"
        assert _scalar(copy, slug) == 1
        in_copy = sum((await _school_rows(settings, copy, north)).values())
        assert in_copy == rows_north - 1  # all but the audit entry of the offboarding's start

        replayed = _rostra(settings, copy, "retention", "replay", str(log))
        assert replayed.returncode == 0, replayed.stderr
        assert f"replayed {len(entries)} deletion log entries" in replayed.stdout
        assert f"school demo-north: deleted again ({in_copy} rows" in replayed.stdout
        assert set((await _school_rows(settings, copy, north)).values()) == {0}
        assert _scalar(copy, slug) == 0  # the slug is free there too
        south_copy = await _school_rows(settings, copy, south)
        south_live = await _school_rows(settings, live, south)
        assert south_live.pop("retention_run") == 1  # the run's record is not in the log
        assert south_copy.pop("retention_run") == 0
        assert south_copy == south_live and south_copy["classroom_event"] == 40  # recent ones
        db = Database(settings, copy)
        try:
            async with db.session() as session:
                proofs = (await session.execute(select(DeletionProof))).scalars().all()
                logged = await session.execute(select(func.count()).select_from(DeletionLog))
                assert logged.scalar_one() == len(entries)
        finally:
            await db.dispose()
        assert [(p.school_id, p.slug) for p in proofs] == [(north, "demo-north")]
        assert verify(settings, proofs[0]) and set(proofs[0].rows_after.values()) == {0}
        assert f"proof {proofs[0].id}" in replayed.stdout

        again = _rostra(settings, copy, "retention", "replay", str(log))
        assert again.returncode == 0, again.stderr
        assert "schools already gone: 1" in again.stdout
        assert _scalar(copy, "SELECT count(*) FROM deletion_proof") == 1
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
