"""promises of the catalogue: the exception a refusal rests on

`exception` on a rights request's account part and on each school's part: the code of the
closed list (RGT-21) a refused or partly refused request names. See
docs/decisions/2026-12-06-refusal-exceptions.md.

Revision ID: 0011g
Revises: 0010a
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011g"
down_revision: str | Sequence[str] | None = "0010a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
REFUSALS = ("rights_request", "school_rights_request")


def upgrade() -> None:
    for table in REFUSALS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("exception", TEXT(length=32), nullable=True))


def downgrade() -> None:
    for table in REFUSALS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("exception")
