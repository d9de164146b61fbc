"""authz schema: support grants, the audit chain head, one position per sealed entry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("auditchainhead", "supportgrant")


def upgrade() -> None:
    op.create_table(
        "auditchainhead",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sealed_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_auditchainhead_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_auditchainhead")),
    )
    op.create_table(
        "supportgrant",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_account_id", sa.Uuid(), nullable=False),
        sa.Column("record_kinds", sa.JSON(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("expires_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["account.id"],
            name=op.f("fk_supportgrant_staff_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_supportgrant_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_supportgrant")),
    )
    with op.batch_alter_table("supportgrant", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supportgrant_staff", ["tenant_id", "staff_account_id"], unique=False
        )
    # Two sealers can never give two entries the same place in a school's chain.
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index("ix_auditentry_tenant_seq")
        batch_op.create_index("ix_auditentry_tenant_seq", ["tenant_id", "seq"], unique=True)
    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index("ix_auditentry_tenant_seq")
        batch_op.create_index("ix_auditentry_tenant_seq", ["tenant_id", "seq"], unique=False)
    with op.batch_alter_table("supportgrant", schema=None) as batch_op:
        batch_op.drop_index("ix_supportgrant_staff")
    op.drop_table("supportgrant")
    op.drop_table("auditchainhead")
