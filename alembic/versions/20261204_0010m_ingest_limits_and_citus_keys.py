"""ingestion limits: a school's events per minute, counted per window; keys ready for Citus

`tenant.ingest_events_per_minute` is the tenant file's `[limits]` (NULL: the platform's
setting). `ingest_rate_window` counts each school's events per clock minute so every API
process shares one count; it is a tenant table under row-level security.

Citus: a unique key of a table distributed by `tenant_id` must include it. The API key's
hash and the OneRoster client id were unique across schools; both already name their
school (lookups carry `tenant_id`), so they become unique within it.

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


CITUS_UNIQUES = (("apikey", "key_hash"), ("oneroster_client", "client_id"))


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
    for table, column in CITUS_UNIQUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_{column}", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_tenant_id_{column}", ["tenant_id", column]
            )


def downgrade() -> None:
    for table, column in CITUS_UNIQUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_tenant_id_{column}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_{column}", [column])
    disable_tenant_rls("ingest_rate_window")
    op.drop_table("ingest_rate_window")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("ingest_events_per_minute")
