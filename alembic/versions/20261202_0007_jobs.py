"""jobs: the SQLite job queue, access exports, and procrastinate's queue on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# procrastinate's objects, dropped on downgrade (its functions are found by name).
PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
PROCRASTINATE_TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def _procrastinate_schema() -> None:
    """procrastinate's schema as its installed version ships it (upgrades: its delta files)."""
    from procrastinate.schema import SchemaManager

    cursor = op.get_bind().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(SchemaManager.get_schema())  # no parameters: no placeholder parsing
    cursor.close()


def upgrade() -> None:
    op.create_table(
        "queued_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("lock", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_job")),
    )
    with op.batch_alter_table("queued_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queued_job_status_run_after", ["status", "run_after"], unique=False
        )
    op.create_table(
        "access_export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("object_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_access_export_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["account.id"], name=op.f("fk_access_export_requested_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_export")),
    )
    with op.batch_alter_table("access_export", schema=None) as batch_op:
        batch_op.create_index(
            "ix_access_export_account", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_access_export_requested_by", ["requested_by", "created_at"], unique=False
        )
    # Neither table belongs to a school (no tenant_id): no row-level security to add.
    if op.get_bind().dialect.name == "postgresql":
        _procrastinate_schema()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PROCRASTINATE_TABLES:
            op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        op.execute(
            "DO $$ DECLARE f record; BEGIN FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc"
            " WHERE proname LIKE 'procrastinate\\_%' LOOP EXECUTE 'DROP FUNCTION ' || f.sig"
            " || ' CASCADE'; END LOOP; END $$"
        )
        for type_ in PROCRASTINATE_TYPES:
            op.execute(f"DROP TYPE IF EXISTS {type_} CASCADE")
    with op.batch_alter_table("access_export", schema=None) as batch_op:
        batch_op.drop_index("ix_access_export_requested_by")
        batch_op.drop_index("ix_access_export_account")
    op.drop_table("access_export")
    with op.batch_alter_table("queued_job", schema=None) as batch_op:
        batch_op.drop_index("ix_queued_job_status_run_after")
    op.drop_table("queued_job")
