"""oneroster fields kept of the school's org: its identifier and metadata.* extensions

The school org's row of orgs.csv comes back in the export as it came: besides its sourcedId
and name (already on rostersource), the identifier and any `metadata.*` extension columns,
kept as one nullable JSON column like membership, course and enrollment have (0010x).
See docs/decisions/2026-12-06-oneroster-extensions.md.

Revision ID: 0011o
Revises: 0010a
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011o"
down_revision: str | Sequence[str] | None = "0010a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rostersource") as batch:
        batch.add_column(sa.Column("oneroster", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rostersource") as batch:
        batch.drop_column("oneroster")
