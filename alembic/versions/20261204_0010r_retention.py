"""retention: legal holds, sweep runs, the deletion log, per-lesson tallies; an index to sweep by

Legal holds, school runs and tallies are tenant tables under row-level security; the platform
runs and the deletion log are platform tables (the log outlives the rows and schools it names).

Revision ID: 0010r
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

TENANT_TABLES = ("legal_hold", "retention_run", "lesson_tally")
# Login state sits behind RLS keyed on one number (0009c); FORCE binds the owner too. The
# sweep, connected as the owner (the role running this migration), names itself instead.
LOGIN_TABLES = ("otpcode", "smsmessage", "refreshtoken")
SWEEP = "current_setting('app.retention_sweep', true) = 'on'"

revision: str = "0010r"
down_revision: str | Sequence[str] | None = "0010i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_log")),
    )
    with op.batch_alter_table("deletion_log", schema=None) as batch_op:
        batch_op.create_index("ix_deletion_log_at", ["at"], unique=False)
        batch_op.create_index("ix_deletion_log_run", ["run_id"], unique=False)

    op.create_table(
        "platform_retention_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_retention_run")),
    )
    op.create_table(
        "legal_hold",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("until", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("placed_by", sa.Uuid(), nullable=True),
        sa.Column("placed_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_legal_hold_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_legal_hold_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.create_index(
            "ix_legal_hold_tenant_placed", ["tenant_id", "placed_at"], unique=False
        )

    op.create_table(
        "retention_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("held", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_retention_run_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_retention_run")),
    )
    with op.batch_alter_table("retention_run", schema=None) as batch_op:
        batch_op.create_index("ix_retention_run_started", ["tenant_id", "started_at"], unique=False)

    op.create_table(
        "lesson_tally",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("attended_seconds", sa.BigInteger(), nullable=False),
        sa.Column("joins", sa.Integer(), nullable=False),
        sa.Column("hand_raises", sa.Integer(), nullable=False),
        sa.Column("rewards", sa.Integer(), nullable=False),
        sa.Column("speaking_ms", sa.BigInteger(), nullable=False),
        sa.Column("camera_seconds", sa.BigInteger(), nullable=False),
        sa.Column("stage_seconds", sa.BigInteger(), nullable=False),
        sa.Column("answers_correct", sa.Integer(), nullable=False),
        sa.Column("answers_total", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lesson_id"],
            ["lesson.tenant_id", "lesson.id"],
            name=op.f("fk_lesson_tally_tenant_id_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_lesson_tally_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "lesson_id", name=op.f("pk_lesson_tally")),
    )
    with op.batch_alter_table("classroom_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_classroom_event_record_kind_at", ["tenant_id", "record_kind", "at", "id"]
        )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    if op.get_bind().dialect.name == "postgresql":
        for table in LOGIN_TABLES:
            op.execute(
                f'CREATE POLICY retention_sweep ON "{table}" FOR ALL TO CURRENT_USER '
                f"USING ({SWEEP})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LOGIN_TABLES:
            op.execute(f'DROP POLICY IF EXISTS retention_sweep ON "{table}"')
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    with op.batch_alter_table("classroom_event", schema=None) as batch_op:
        batch_op.drop_index("ix_classroom_event_record_kind_at")

    op.drop_table("lesson_tally")
    with op.batch_alter_table("retention_run", schema=None) as batch_op:
        batch_op.drop_index("ix_retention_run_started")

    op.drop_table("retention_run")
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_hold_tenant_placed")

    op.drop_table("legal_hold")
    op.drop_table("platform_retention_run")
    with op.batch_alter_table("deletion_log", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_log_run")
        batch_op.drop_index("ix_deletion_log_at")

    op.drop_table("deletion_log")
