"""member name search (a suffix table kept by a trigger, PostgreSQL) and roster import runs

The portal's members search finds a part of a name (`display_name LIKE '%q%'`); at 50,000
members that scan took four times the members list. A part of a name is the start of one
of its suffixes, so `member_name_suffix` holds each suffix of each name (a name of n
characters: n rows) and a search is a range scan of its primary key (`suffix >= q AND
suffix < q || U+10FFFF`, bytewise in collation "C"). A trigger keeps it on every insert,
rename or removal of a membership, whichever path writes it (ORM, the roster import's bulk
rows, COPY, a school's deletion). The key is the table's only index, so no plan, generic
or custom, can walk it in membership order instead of the range. pg_trgm was tried first: names sharing characters (学生00001...) make every
trigram common and its GIN index slower than the scan. SQLite, the embedded development
database, has no such table and keeps scanning.

`roster_import_run`: a large roster file applied by a job, its status, plan and row
errors for the admin's page (the file itself is dropped when the run ends).

Revision ID: 0010p
Revises: 0010m
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0010p"
down_revision: str | Sequence[str] | None = "0010m"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUFFIXES = """
SELECT {m}.tenant_id, {m}.id, substr({m}.display_name, k)
FROM generate_series(1, char_length({m}.display_name)) AS k
"""


def _import_runs() -> None:
    op.create_table(
        "roster_import_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_roster_import_run_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["account.id"], name=op.f("fk_roster_import_run_created_by_account")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_roster_import_run")),
    )
    enable_tenant_rls("roster_import_run")


def upgrade() -> None:
    _import_runs()
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE TABLE member_name_suffix (
            tenant_id uuid NOT NULL REFERENCES tenant (id),
            membership_id uuid NOT NULL,
            suffix text COLLATE "C" NOT NULL,
            CONSTRAINT pk_member_name_suffix PRIMARY KEY (tenant_id, suffix, membership_id)
        )
        """
    )
    op.execute(
        "INSERT INTO member_name_suffix (tenant_id, membership_id, suffix) "
        + SUFFIXES.format(m="m").replace("FROM ", "FROM membership AS m, ", 1)
        + " WHERE m.display_name IS NOT NULL AND m.display_name <> ''"
    )
    op.execute(
        f"""
        CREATE FUNCTION member_name_suffixes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.display_name IS NOT DISTINCT FROM OLD.display_name THEN
                RETURN NEW;
            END IF;
            IF TG_OP <> 'INSERT' AND OLD.display_name IS NOT NULL THEN
                -- the old name's own suffixes: its rows are found by the key, no other index
                DELETE FROM member_name_suffix
                WHERE tenant_id = OLD.tenant_id AND membership_id = OLD.id AND suffix IN (
                    SELECT substr(OLD.display_name, k)
                    FROM generate_series(1, char_length(OLD.display_name)) AS k
                );
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            IF NEW.display_name IS NOT NULL AND NEW.display_name <> '' THEN
                INSERT INTO member_name_suffix (tenant_id, membership_id, suffix)
                {SUFFIXES.format(m="NEW")};
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_membership_name_suffixes "
        "AFTER INSERT OR UPDATE OF display_name OR DELETE ON membership "
        "FOR EACH ROW EXECUTE FUNCTION member_name_suffixes()"
    )
    enable_tenant_rls("member_name_suffix")


def downgrade() -> None:
    disable_tenant_rls("roster_import_run")
    op.drop_table("roster_import_run")
    if op.get_bind().dialect.name != "postgresql":
        return
    disable_tenant_rls("member_name_suffix")
    op.execute("DROP TRIGGER IF EXISTS trg_membership_name_suffixes ON membership")
    op.execute("DROP FUNCTION IF EXISTS member_name_suffixes()")
    op.execute("DROP TABLE IF EXISTS member_name_suffix")
