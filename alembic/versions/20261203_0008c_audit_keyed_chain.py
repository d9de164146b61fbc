"""audit: the chain becomes keyed (HMAC under ROSTRA_AUDIT_KEY); existing chains re-seal from genesis

The stored hash keeps its form (64 hex digits), but what it means changes: entries sealed
with the plain SHA-256 chain would no longer verify. Every school's chain is reset (no
position, no hashes, head removed) and the sealer chains all entries again, in the same id
order, under the key on its next round, publishing the first signed checkpoint. Verify
the old chain (`rostra audit verify SLUG` with the previous release) before upgrading if a
last check of it is wanted: a plain chain was never proof against a database writer.

Revision ID: 0008c
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008c"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reset_chains() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    tenants = [row[0] for row in bind.execute(sa.text("SELECT id FROM tenant"))]
    # Row-level security is forced on the audit tables, for their owner too: one school at a time.
    for tenant_id in tenants if postgres else [None]:
        if postgres:
            bind.execute(
                sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        bind.execute(sa.text("UPDATE auditentry SET seq = NULL, prev_hash = NULL, hash = NULL"))
        bind.execute(sa.text("DELETE FROM auditchainhead"))
    if postgres:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def upgrade() -> None:
    _reset_chains()


def downgrade() -> None:
    # The plain chain cannot be rebuilt from a keyed one: reset, and let that sealer re-chain.
    _reset_chains()
