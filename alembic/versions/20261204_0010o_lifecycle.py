"""lifecycle: incidents and their notifications, personal notices, offboarding, shutdown

Platform tables: they name a school by `school_id` without a foreign key, so they outlive
the school's rows that offboarding deletes (the deletion proof among them).

Revision ID: 0010o
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0010o"
down_revision: str | Sequence[str] | None = "0010r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
UTC = app.core.types.UTCDateTime


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UTC(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("language", TEXT(length=8), nullable=False, server_default="zh"))
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(
            sa.Column("offboarding_notice_days", sa.Integer(), nullable=False, server_default="30")
        )
    op.create_table(
        "incident",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("what", TEXT(length=4000), nullable=False),
        sa.Column("impact", TEXT(length=4000), nullable=False),
        _when("happened_at"),
        _when("detected_at"),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("measures", TEXT(length=4000), nullable=False),
        sa.Column("advice", TEXT(length=4000), nullable=False),
        sa.Column("remedies", TEXT(length=4000), nullable=False),
        sa.Column("progress", TEXT(length=4000), nullable=False),
        sa.Column("contact", TEXT(length=500), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["account.id"], name=op.f("fk_incident_recorded_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_table(
        "incident_notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("audience", TEXT(length=8), nullable=False),
        sa.Column("channel", TEXT(length=8), nullable=False),
        sa.Column("language", TEXT(length=8), nullable=False),
        sa.Column("status", TEXT(length=8), nullable=False),
        sa.Column("error", TEXT(length=500), nullable=True),
        _when("at"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"],
            name=op.f("fk_incident_notification_incident_id_incident"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"],
            name=op.f("fk_incident_notification_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notification")),
    )  # fmt: skip
    op.create_index(
        "ix_incident_notification_incident",
        "incident_notification",
        ["incident_id", "account_id"],
    )
    op.create_table(
        "personal_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", TEXT(length=16), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("language", TEXT(length=8), nullable=False),
        sa.Column("title", TEXT(length=200), nullable=False),
        sa.Column("body", TEXT(length=4000), nullable=False),
        _when("created_at"),
        _when("acknowledged_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_personal_notice_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_notice")),
        sa.UniqueConstraint(
            "account_id", "kind", "ref_id", name=op.f("uq_personal_notice_account_id_kind_ref_id")
        ),
    )
    op.create_table(
        "offboarding",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("slug", TEXT(length=64), nullable=False),
        sa.Column("reason", TEXT(length=16), nullable=False),
        sa.Column("status", TEXT(length=16), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        _when("requested_at"),
        _when("delete_after"),
        sa.Column("export_key", TEXT(length=255), nullable=True),
        sa.Column("export_size", sa.Integer(), nullable=True),
        sa.Column("export_sha256", TEXT(length=64), nullable=True),
        _when("export_ready_at", nullable=True),
        _when("cancelled_at", nullable=True),
        sa.Column("rows_before", sa.JSON(), nullable=True),
        sa.Column("object_keys", sa.JSON(), nullable=True),
        _when("deleted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offboarding")),
    )
    op.create_index(op.f("ix_offboarding_school_id"), "offboarding", ["school_id"])
    op.create_table(
        "deletion_proof",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offboarding_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("slug", TEXT(length=64), nullable=False),
        sa.Column("rows_before", sa.JSON(), nullable=False),
        sa.Column("rows_after", sa.JSON(), nullable=False),
        sa.Column("objects_removed", sa.Integer(), nullable=False),
        sa.Column("objects_left", sa.Integer(), nullable=False),
        sa.Column("accounts_offered_cancellation", sa.Integer(), nullable=False),
        _when("finished_at"),
        sa.Column("signature", TEXT(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["offboarding_id"], ["offboarding.id"],
            name=op.f("fk_deletion_proof_offboarding_id_offboarding"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_proof")),
        sa.UniqueConstraint("offboarding_id", name=op.f("uq_deletion_proof_offboarding_id")),
    )  # fmt: skip
    op.create_table(
        "service_shutdown",
        sa.Column("id", sa.Uuid(), nullable=False),
        _when("ends_at"),
        sa.Column("message_zh", TEXT(length=2000), nullable=False),
        sa.Column("message_en", TEXT(length=2000), nullable=False),
        sa.Column("scheduled_by", sa.Uuid(), nullable=True),
        sa.Column("status", TEXT(length=16), nullable=False),
        _when("created_at"),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["scheduled_by"], ["account.id"], name=op.f("fk_service_shutdown_scheduled_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_shutdown")),
    )


def downgrade() -> None:
    op.drop_table("service_shutdown")
    op.drop_table("deletion_proof")
    op.drop_index(op.f("ix_offboarding_school_id"), table_name="offboarding")
    op.drop_table("offboarding")
    op.drop_table("personal_notice")
    op.drop_index("ix_incident_notification_incident", table_name="incident_notification")
    op.drop_table("incident_notification")
    op.drop_table("incident")
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("offboarding_notice_days")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("language")
