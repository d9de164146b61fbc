"""Citus-ready (#18): the schema keeps every rule distribution by tenant_id needs, and
`rostra db distribute` plans reference then distributed tables in foreign-key order,
colocated, and refuses where the citus extension is absent."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import Column, ForeignKeyConstraint, MetaData, String, Table, UniqueConstraint, Uuid

from app.core.citus import distribution_plan, schema_problems
from app.core.config import ROOT
from app.schema import metadata, tenant_tables
from tests.conftest import postgres_only


def test_the_schema_keeps_every_rule_of_distribution_by_tenant_id():
    """Each PK and unique key of a tenant table includes tenant_id; each FK between tenant
    tables includes it; no platform table points into a tenant table."""
    assert schema_problems(metadata) == []


def test_the_rules_name_each_break():
    """The same check on a schema that breaks each rule once lists every break."""
    bad = MetaData()
    Table("tenant", bad, Column("id", Uuid, primary_key=True))
    Table(
        "course",
        bad,
        Column("tenant_id", Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("code", String(20)),
        UniqueConstraint("code", name="uq_course_code"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
    )
    Table(
        "lesson",
        bad,
        Column("tenant_id", Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("course_id", Uuid),
        ForeignKeyConstraint(["course_id"], ["course.id"]),
    )
    Table("bookmark", bad, Column("id", Uuid, primary_key=True), Column("course_id", Uuid))
    bad.tables["bookmark"].append_constraint(ForeignKeyConstraint(["course_id"], ["course.id"]))
    Table("loose", bad, Column("tenant_id", Uuid), Column("id", Uuid, primary_key=True))
    problems = schema_problems(bad)
    assert "course: unique uq_course_code lacks tenant_id" in problems
    assert "lesson -> course: foreign key lacks tenant_id" in problems
    assert "bookmark (platform) references tenant table course" in problems
    assert "loose: primary key lacks tenant_id" in problems


def test_the_plan_covers_every_table_once_in_foreign_key_order():
    steps = distribution_plan(metadata)
    names = [s.table for s in steps]
    assert sorted(names) == sorted(metadata.tables) and len(set(names)) == len(names)
    kinds = [s.kind for s in steps]
    assert kinds == sorted(kinds, key=lambda k: k != "reference"), "reference tables first"
    assert {s.table for s in steps if s.kind == "distributed"} == set(tenant_tables())
    position = {name: i for i, name in enumerate(names)}
    for table in metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            referred = fk.referred_table.name
            if referred != table.name:
                assert position[referred] < position[table.name], (table.name, referred)
    distributed = [s for s in steps if s.kind == "distributed"]
    first = distributed[0]
    assert first.colocate_with is None
    assert {s.colocate_with for s in distributed[1:]} == {first.table}


def test_each_step_is_one_citus_call_with_bound_names():
    steps = {s.table: s for s in distribution_plan(metadata)}
    sql, params = steps["tenant"].statement()
    assert sql == "SELECT create_reference_table(CAST(:table AS regclass))"
    assert params == {"table": '"tenant"'}
    sql, params = steps["classroom_event"].statement()
    assert "create_distributed_table" in sql and "colocate_with => :colocate" in sql
    assert params["column"] == "tenant_id" and params["table"] == '"classroom_event"'
    assert params["colocate"] == steps["classroom_event"].colocate_with


def _distribute(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROSTRA_DATABASE_URL": url, "ROSTRA_MIGRATE_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "distribute", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_the_dry_run_prints_the_plan_and_changes_nothing(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    done = _distribute(url, "--dry-run")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("reference")
    assert "distributed  classroom_event by tenant_id (colocated with " in done.stdout
    assert lines[-1] == "dry run: nothing changed"
    assert "ALTER DATABASE <database> SET citus.propagate_set_commands = 'local'" in lines[-2]


def _database_settings(url: str) -> list[str]:
    """The database's own defaults (ALTER DATABASE ... SET), read as the owner."""
    import psycopg

    with psycopg.connect(url.replace("+asyncpg", "")) as conn:
        row = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return list(row[0]) if row else []


@postgres_only
def test_the_dry_run_names_the_setting_it_would_make_for_this_database(database):
    """Row-level security on the workers needs SET LOCAL propagated (the citus note)."""
    done = _distribute(database.owner_url, "--dry-run")
    assert done.returncode == 0, done.stderr
    name = database.owner_url.rsplit("/", 1)[1]
    assert f"""ALTER DATABASE "{name}" SET citus.propagate_set_commands = 'local'""" in done.stdout
    assert done.stdout.splitlines()[-1] == "dry run: nothing changed"
    assert not any("propagate_set_commands" in s for s in _database_settings(database.owner_url))


@postgres_only
def test_without_the_citus_extension_distribute_refuses_and_changes_nothing(database):
    done = _distribute(database.owner_url)
    assert done.returncode == 2
    assert "refused: the citus extension is not installed in this database" in done.stderr
    assert "nothing was changed" in done.stderr
    assert "distributed:" not in done.stdout
    # Refused before the setting too: the database's defaults are as they were.
    assert not any("propagate_set_commands" in s for s in _database_settings(database.owner_url))


def test_on_sqlite_distribute_refuses(tmp_path):
    done = _distribute(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2
    assert "Citus runs on PostgreSQL" in done.stderr


@postgres_only
def test_the_setting_is_made_once_and_read_back(database):
    """The ALTER DATABASE step on its own (PostgreSQL takes a `citus.` setting as a placeholder
    where the extension is absent): set, then reported as already set; new sessions get it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from app.core.citus import propagate_set_local
    from app.core.migrate import sync_url

    url = sync_url(database.owner_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            first = propagate_set_local(conn, database.owner_url)
            again = propagate_set_local(conn, database.owner_url)
        with engine.connect() as fresh:  # a new session: the database default applies
            shown = fresh.execute(text("SHOW citus.propagate_set_commands")).scalar()
        assert first == "citus.propagate_set_commands = 'local' for this database: set (was unset)"
        assert again == "citus.propagate_set_commands = 'local' for this database: already set"
        assert shown == "local"
    finally:
        with engine.connect() as conn:
            name = database.owner_url.rsplit("/", 1)[1]
            conn.execute(text(f'ALTER DATABASE "{name}" RESET citus.propagate_set_commands'))
        engine.dispose()
