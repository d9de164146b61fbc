"""promises of the catalogue: the exception a refusal rests on, the person's own profile

`exception` on a rights request's account part and on each school's part: the code of the
closed list (RGT-21) a refused or partly refused request names. See
docs/decisions/2026-12-06-refusal-exceptions.md.

`nickname` and the avatar (an object in the store: key, type, size, checksum, when) on
`account`: the person's own profile (ACC-3, RGT-3). See docs/decisions/2026-12-06-profile.md.

`outcome` and `rights_request_id` on `rosterissue`: how a school settled a report that a
minor uses the service without guardian consent, and the deletion it started (MIN-7/8).
See docs/decisions/2026-12-06-minor-without-consent.md.

Revision ID: 0011g
Revises: 0011r
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0011g"
down_revision: str | Sequence[str] | None = "0011r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
REFUSALS = ("rights_request", "school_rights_request")
PROFILE = ("nickname", "avatar_key", "avatar_type", "avatar_size", "avatar_sha256")


def upgrade() -> None:
    for table in REFUSALS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("exception", TEXT(length=32), nullable=True))
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("nickname", TEXT(length=40), nullable=True))
        batch.add_column(sa.Column("avatar_key", TEXT(length=255), nullable=True))
        batch.add_column(sa.Column("avatar_type", TEXT(length=32), nullable=True))
        batch.add_column(sa.Column("avatar_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("avatar_sha256", TEXT(length=64), nullable=True))
        batch.add_column(
            sa.Column(
                "avatar_updated_at", app.core.types.UTCDateTime(timezone=True), nullable=True
            )
        )

    with op.batch_alter_table("rosterissue") as batch:
        batch.add_column(sa.Column("outcome", TEXT(length=32), nullable=True))
        batch.add_column(sa.Column("rights_request_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rosterissue") as batch:
        batch.drop_column("rights_request_id")
        batch.drop_column("outcome")
    with op.batch_alter_table("account") as batch:
        for column in (*PROFILE, "avatar_updated_at"):
            batch.drop_column(column)
    for table in REFUSALS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("exception")
