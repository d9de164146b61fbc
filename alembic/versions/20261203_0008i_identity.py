"""identity: device sessions, password failures, compromise reports, SMS-only sign-in (#16)

Revision ID: 0008i
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0008i"
down_revision: str | Sequence[str] | None = "0009c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "devicesession",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("device_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("signed_in_via", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_devicesession_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devicesession")),
        sa.UniqueConstraint("family_id", name=op.f("uq_devicesession_family_id")),
    )
    with op.batch_alter_table("devicesession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_devicesession_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "securityreport",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("sessions_ended", sa.Integer(), nullable=False),
        sa.Column("admins_told", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_securityreport_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_securityreport")),
    )
    with op.batch_alter_table("securityreport", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_securityreport_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "passwordfailure",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passwordfailure")),
    )
    with op.batch_alter_table("passwordfailure", schema=None) as batch_op:
        batch_op.create_index("ix_passwordfailure_phone_at", ["phone_hash", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("passwordfailure", schema=None) as batch_op:
        batch_op.drop_index("ix_passwordfailure_phone_at")
    op.drop_table("passwordfailure")
    with op.batch_alter_table("securityreport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_securityreport_account_id"))
    op.drop_table("securityreport")
    with op.batch_alter_table("devicesession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devicesession_account_id"))
    op.drop_table("devicesession")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("code_required")
