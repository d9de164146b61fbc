"""Schema rules every domain must keep: the tenant leads every key (PRX-4), RLS a second wall."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Table, create_engine, text
from sqlalchemy.exc import DBAPIError

from app.core.migrate import sync_url
from app.schema import metadata, tenant_tables
from tests.authz.world import add_entry, build_world
from tests.conftest import postgres_only

TENANT_TABLES = tenant_tables()


def _tables() -> list[Table]:
    return [metadata.tables[name] for name in TENANT_TABLES]


def test_there_are_tenant_tables_to_check():
    assert {"membership", "auditentry", "supportgrant", "course"} <= set(TENANT_TABLES)


@pytest.mark.parametrize("table", _tables(), ids=lambda t: t.name)
def test_tenant_id_leads_the_primary_key(table: Table):
    pk = [c.name for c in table.primary_key.columns]
    assert pk[0] == "tenant_id", f"{table.name}: primary key {pk} must start with tenant_id"
    assert not table.c.tenant_id.nullable
    targets = {fk.target_fullname for fk in table.c.tenant_id.foreign_keys}
    assert "tenant.id" in targets, f"{table.name}.tenant_id must reference tenant.id"


@pytest.mark.parametrize("table", _tables(), ids=lambda t: t.name)
def test_foreign_keys_between_tenant_tables_carry_the_tenant(table: Table):
    for constraint in table.foreign_key_constraints:
        referred = constraint.referred_table
        if referred.name not in TENANT_TABLES:
            continue
        pairs = {(fk.parent.name, fk.column.name) for fk in constraint.elements}
        assert ("tenant_id", "tenant_id") in pairs, (
            f"{table.name} -> {referred.name} {sorted(pairs)}: a row could point into "
            "another school; the foreign key must include tenant_id"
        )


@postgres_only
async def test_row_level_security_keeps_schools_apart(database, owner, schools):
    """As the app's role: no school set sees nothing; A's setting never sees or writes B's rows."""
    world = await build_world(owner, schools)
    for tenant, who in ((world.a, "student"), (world.b, "student_b")):
        await add_entry(owner, tenant, subjects=[world.id(who)])
    a, b = str(world.a.id), str(world.b.id)

    owner_engine = create_engine(sync_url(database.owner_url))
    with owner_engine.connect() as conn:
        flags = conn.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relname = ANY(:names) AND relkind = 'r'"
            ),
            {"names": TENANT_TABLES},
        ).all()
        app_role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'rostra_app'")
        ).one()
    owner_engine.dispose()
    assert {name for name, on, forced in flags if on and forced} == set(TENANT_TABLES)
    assert tuple(app_role) == (False, False)

    engine = create_engine(sync_url(database.app_url))
    try:
        with engine.begin() as conn:
            for table in TENANT_TABLES:
                seen = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                assert seen == 0, f"{table}: {seen} rows visible with no school set"
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": a})
            for table in TENANT_TABLES:
                rows = conn.execute(
                    text(f'SELECT DISTINCT tenant_id::text FROM "{table}"')
                ).scalars()
                assert set(rows) <= {a}, f"{table}: another school's rows under A's setting"
            members = conn.execute(text("SELECT count(*) FROM membership")).scalar_one()
            assert members >= 7
            entries = conn.execute(text("SELECT count(*) FROM auditentry")).scalar_one()
            assert entries == 1
        with pytest.raises(DBAPIError, match="row-level security"), engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": a})
            conn.execute(
                text(
                    "INSERT INTO auditentry (tenant_id, id, at, actor_kind, record_kind, action,"
                    " subject_count, detail) VALUES (CAST(:b AS uuid), CAST(:id AS uuid), now(),"
                    " 'system', 'member', 'read', 0, '{}')"
                ),
                {"b": b, "id": str(uuid.uuid4())},
            )
        with pytest.raises(DBAPIError, match="row-level security"), engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": a})
            conn.execute(
                text(
                    "UPDATE membership SET tenant_id = CAST(:b AS uuid) "
                    "WHERE tenant_id = CAST(:a AS uuid)"
                ),
                {"a": a, "b": b},
            )
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": a})
            # Not an error: B's rows are simply not there to change.
            changed = conn.execute(
                text("DELETE FROM auditentry WHERE tenant_id = CAST(:b AS uuid)"), {"b": b}
            )
            assert changed.rowcount == 0
    finally:
        engine.dispose()
