"""sms sends: the hourly caps on login codes per client IP and in all, against SMS pumping (#11)

One row per code request (keyed IP hash, calling region, delivered or not), counted by every
API process alike. A platform table without personal data beyond the keyed IP hash: no
row-level security, every process must count every row.

Revision ID: 0010h
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0010h"
down_revision: str | Sequence[str] | None = "0008r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "smssend",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smssend")),
    )
    with op.batch_alter_table("smssend", schema=None) as batch_op:
        batch_op.create_index("ix_smssend_at", ["at"], unique=False)
        batch_op.create_index("ix_smssend_ip_at", ["ip_hash", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("smssend", schema=None) as batch_op:
        batch_op.drop_index("ix_smssend_ip_at")
        batch_op.drop_index("ix_smssend_at")
    op.drop_table("smssend")
