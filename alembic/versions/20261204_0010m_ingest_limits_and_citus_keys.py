"""ingestion limits: a school's events per minute, counted per window; keys ready for Citus

`tenant.ingest_events_per_minute` is the tenant file's `[limits]` (NULL: the platform's
setting). `ingest_rate_window` counts each school's events per clock minute so every API
process shares one count; it is a tenant table under row-level security.

Revision ID: 0010m
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0010m"
down_revision: str | Sequence[str] | None = "0010o"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ingest_events_per_minute", sa.Integer(), nullable=True))
    op.create_table(
        "ingest_rate_window",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("minute", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_ingest_rate_window_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "minute", name=op.f("pk_ingest_rate_window")),
    )
    enable_tenant_rls("ingest_rate_window")


def downgrade() -> None:
    disable_tenant_rls("ingest_rate_window")
    op.drop_table("ingest_rate_window")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("ingest_events_per_minute")
