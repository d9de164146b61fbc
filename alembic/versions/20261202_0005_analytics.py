"""analytics: the school's time zone and late threshold, declared in its tenant file

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

No new tenant tables: dashboards read the rollups kept current at ingestion. The two
columns get server defaults so rows written by bulk loaders (benchmarks) stay valid. A
partial index finds a lesson's diagnostics samples (quality of service in the course
report) without reading the lesson's other events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIAGNOSTICS = sa.text("kind = 'diagnostics.sample'")


def upgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="Asia/Shanghai",
            )
        )
        batch_op.add_column(
            sa.Column("late_after_minutes", sa.Integer(), nullable=False, server_default="5")
        )
    op.create_index(
        "ix_classroom_event_diagnostics",
        "classroom_event",
        ["tenant_id", "lesson_id"],
        postgresql_where=DIAGNOSTICS,
        sqlite_where=DIAGNOSTICS,
    )


def downgrade() -> None:
    op.drop_index("ix_classroom_event_diagnostics", table_name="classroom_event")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("late_after_minutes")
        batch_op.drop_column("time_zone")
