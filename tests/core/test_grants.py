"""`rostra db grant` once: tables that later migrations create are usable by the app role (#11)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app.core.migrate import sync_url
from tests.conftest import postgres_only


@postgres_only
def test_a_table_made_after_the_grant_is_granted_too(database):
    owner = create_engine(sync_url(database.owner_url))
    app = create_engine(sync_url(database.app_url))
    try:
        with owner.begin() as conn:
            conn.execute(text("CREATE TABLE later_migration_probe (id integer PRIMARY KEY)"))
        with app.begin() as conn:
            conn.execute(text("INSERT INTO later_migration_probe (id) VALUES (1)"))
            assert conn.execute(text("SELECT count(*) FROM later_migration_probe")).scalar() == 1
    finally:
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS later_migration_probe"))
        owner.dispose()
        app.dispose()
