"""A backup taken before a sweep, restored, then the deletion log replayed into it: the rows
the sweep deleted are gone from the restored copy too, rollups again only as tallies, and a
second replay changes nothing (RET-6; docs/operations.md). PostgreSQL: pg_dump / pg_restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import ROOT
from app.core.migrate import sync_url
from app.retention.service import sweep_all
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
