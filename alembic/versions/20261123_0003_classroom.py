"""classroom: events, attendance spans, rollups, recordings and snapshots, grants, consent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "consent_withdrawal",
    "attendance_span",
    "classroom_event",
    "lesson_file",
    "lesson_rollup",
    "recording_grant",
)


def upgrade() -> None:
    op.create_table(
        "consent_withdrawal",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("withdrawn_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("restored_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_consent_withdrawal_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_consent_withdrawal_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_consent_withdrawal")),
    )
    with op.batch_alter_table("consent_withdrawal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_withdrawal_account", ["tenant_id", "account_id"], unique=False
        )

    op.create_table(
        "attendance_span",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leave_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("closed_at_lesson_end", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_attendance_span_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lesson_id"],
            ["lesson.tenant_id", "lesson.id"],
            name=op.f("fk_attendance_span_tenant_id_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_attendance_span_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_attendance_span")),
    )
    with op.batch_alter_table("attendance_span", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attendance_span_lesson",
            ["tenant_id", "lesson_id", "account_id", "joined_at"],
            unique=False,
        )

    op.create_table(
        "classroom_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("record_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ip_prefix", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("ip_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("received_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_classroom_event_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lesson_id"],
            ["lesson.tenant_id", "lesson.id"],
            name=op.f("fk_classroom_event_tenant_id_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_classroom_event_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_classroom_event")),
        sa.UniqueConstraint(
            "tenant_id", "client_id", name=op.f("uq_classroom_event_tenant_id_client_id")
        ),
    )
    with op.batch_alter_table("classroom_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_classroom_event_account_at", ["tenant_id", "account_id", "at"], unique=False
        )
        batch_op.create_index(
            "ix_classroom_event_lesson_at", ["tenant_id", "lesson_id", "at", "id"], unique=False
        )

    op.create_table(
        "lesson_file",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("object_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("notice_shown", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by_key", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lesson_id"],
            ["lesson.tenant_id", "lesson.id"],
            name=op.f("fk_lesson_file_tenant_id_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_lesson_file_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_lesson_file")),
    )
    with op.batch_alter_table("lesson_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lesson_file_lesson", ["tenant_id", "lesson_id", "kind", "id"], unique=False
        )

    op.create_table(
        "lesson_rollup",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("attended_seconds", sa.Integer(), nullable=False),
        sa.Column("joins", sa.Integer(), nullable=False),
        sa.Column("first_join", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_leave", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hand_raises", sa.Integer(), nullable=False),
        sa.Column("rewards", sa.Integer(), nullable=False),
        sa.Column("speaking_ms", sa.BigInteger(), nullable=False),
        sa.Column("camera_seconds", sa.Integer(), nullable=False),
        sa.Column("stage_seconds", sa.Integer(), nullable=False),
        sa.Column("answers_correct", sa.Integer(), nullable=False),
        sa.Column("answers_total", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("walk", sa.JSON(), nullable=True),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_lesson_rollup_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lesson_id"],
            ["lesson.tenant_id", "lesson.id"],
            name=op.f("fk_lesson_rollup_tenant_id_lesson_id_lesson"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_lesson_rollup_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "lesson_id", "account_id", name=op.f("pk_lesson_rollup")
        ),
    )

    op.create_table(
        "recording_grant",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_recording_grant_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "course_id"],
            ["course.tenant_id", "course.id"],
            name=op.f("fk_recording_grant_tenant_id_course_id_course"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "recording_id"],
            ["lesson_file.tenant_id", "lesson_file.id"],
            name=op.f("fk_recording_grant_tenant_id_recording_id_lesson_file"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_recording_grant_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_recording_grant")),
    )
    with op.batch_alter_table("recording_grant", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recording_grant_recording", ["tenant_id", "recording_id"], unique=False
        )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)  # their indexes go with them
