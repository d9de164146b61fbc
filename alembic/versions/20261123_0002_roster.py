"""roster: open items for the school's admins, the OneRoster org a school imports from

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("rosterissue", "rostersource")


def upgrade() -> None:
    op.create_table(
        "rosterissue",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("membership_id", sa.Uuid(), nullable=True),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_rosterissue_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_rosterissue_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rosterissue")),
    )
    with op.batch_alter_table("rosterissue", schema=None) as batch_op:
        batch_op.create_index("ix_rosterissue_status", ["tenant_id", "status", "id"], unique=False)
    op.create_table(
        "rostersource",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_source_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("org_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("last_import_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_rostersource_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rostersource")),
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_table("rostersource")
    with op.batch_alter_table("rosterissue", schema=None) as batch_op:
        batch_op.drop_index("ix_rosterissue_status")
    op.drop_table("rosterissue")
