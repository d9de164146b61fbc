"""oneroster fields kept for a lossless export: membership, course and enrollment

What a school's OneRoster file says that Rostra does not use itself (username, email,
identifier, grades, userIds, a second phone sealed like the first, the role's own sourcedId,
demographics; a class's OneRoster course and every term; an enrolment's begin/end and
`primary`), kept as one JSON column per row so the export gives it back. Same tables, same
row-level security and grants. See docs/decisions/2026-12-04-lossless-oneroster-export.md.

Revision ID: 0010x
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010x"
down_revision: str | Sequence[str] | None = "0010p"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("membership", "course", "enrollment")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("oneroster", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("oneroster")
