"""row-level security on login state: codes and outbox by number, refresh tokens by hash or owner

The application role sees an `otpcode` or `smsmessage` row only while its transaction has
named that number's keyed hash (`app.phone_hash`), and a `refreshtoken` row only by its own
hash (`app.refresh_token_hash`) or as the signed-in person's (`app.account_id`). No setting,
no rows: a query that forgets the lookup, or a role that scans, gets nothing.
See docs/decisions/2026-12-03-rls-accounts.md.

Revision ID: 0009c
Revises: 0008c
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009c"
down_revision: str | Sequence[str] | None = "0008c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _setting(name: str) -> str:
    return f"NULLIF(current_setting('app.{name}', true), '')"


BY_PHONE = f"phone_hash = {_setting('phone_hash')}"
BY_TOKEN = (
    f"token_hash = {_setting('refresh_token_hash')} OR account_id = {_setting('account_id')}::uuid"
)
POLICIES = {"otpcode": BY_PHONE, "smsmessage": BY_PHONE, "refreshtoken": BY_TOKEN}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, predicate in POLICIES.items():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY login_lookup ON "{table}" USING ({predicate}) WITH CHECK ({predicate})'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        op.execute(f'DROP POLICY IF EXISTS login_lookup ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
