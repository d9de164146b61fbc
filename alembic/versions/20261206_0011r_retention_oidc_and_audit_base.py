"""retention: the sweep reaches expired oidc attempts; the audit chain head gets a signed base

`oidc_attempt` sits behind FORCE'd row-level security keyed on one hashed state (0010i); the
sweep, connected as the owner, names itself (`app.retention_sweep`) as for the login tables
(0010r). `auditchainhead.base_seq`/`base_hash` say where a school's chain starts once the
sweep removed its oldest entries; `base_signature` is their HMAC under the checkpoint key,
so a database writer cannot move the base forward over entries they removed. The deletion
log's keys are compressed with lz4 where the server has it.

Revision ID: 0011r
Revises: 0011o
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011r"
down_revision: str | Sequence[str] | None = "0011o"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SWEEP = "current_setting('app.retention_sweep', true) = 'on'"
GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("auditchainhead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("base_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "base_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default=GENESIS,
            )
        )
        batch_op.add_column(
            sa.Column("base_signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f'CREATE POLICY retention_sweep ON "oidc_attempt" FOR ALL TO CURRENT_USER '
            f"USING ({SWEEP})"
        )
        if _lz4():
            op.execute('ALTER TABLE "deletion_log" ALTER COLUMN "keys" SET COMPRESSION lz4')


def _lz4() -> bool:
    """A sweep batch's keys are a few MB of ids: lz4 compresses them several times faster
    than the default pglz (servers built without lz4 keep pglz)."""
    found = op.get_bind().execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    )
    return bool(found.scalar())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE "deletion_log" ALTER COLUMN "keys" SET COMPRESSION default')
        op.execute('DROP POLICY IF EXISTS retention_sweep ON "oidc_attempt"')
    with op.batch_alter_table("auditchainhead", schema=None) as batch_op:
        batch_op.drop_column("base_signature")
        batch_op.drop_column("base_hash")
        batch_op.drop_column("base_seq")
