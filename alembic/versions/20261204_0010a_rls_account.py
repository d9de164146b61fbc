"""row-level security on account: the signed-in person, one number, a school's people

The application role sees an `account` row only when its transaction names it: as the
signed-in person (`app.account_id`), by the keyed hash of one number (`app.phone_hash`) or
of a batch of numbers (`app.phone_hashes`, comma-separated: imports and ingestion), or as
someone the current school (`app.tenant_id`) holds a membership or a support grant for. The
same predicate is the `WITH CHECK`, so a new account is written only for a number the
transaction named. The policy reads `membership` and `supportgrant`, never `account` itself
(PostgreSQL would report infinite recursion). See docs/decisions/2026-12-03-rls-accounts.md.

Revision ID: 0010a
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010a"
down_revision: str | Sequence[str] | None = "0010x"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _setting(name: str) -> str:
    return f"NULLIF(current_setting('app.{name}', true), '')"


SCHOOL = f"{_setting('tenant_id')}::uuid"
VISIBLE = " OR ".join(
    (
        f"id = {_setting('account_id')}::uuid",
        f"phone_hash = {_setting('phone_hash')}",
        f"phone_hash = ANY (string_to_array({_setting('phone_hashes')}, ','))",
        "EXISTS (SELECT 1 FROM membership m WHERE m.account_id = account.id"
        f" AND m.tenant_id = {SCHOOL})",
        "EXISTS (SELECT 1 FROM supportgrant g WHERE g.staff_account_id = account.id"
        f" AND g.tenant_id = {SCHOOL})",
    )
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('ALTER TABLE "account" ENABLE ROW LEVEL SECURITY')
    op.execute('ALTER TABLE "account" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY account_lookup ON "account" USING ({VISIBLE}) WITH CHECK ({VISIBLE})')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('DROP POLICY IF EXISTS account_lookup ON "account"')
    op.execute('ALTER TABLE "account" NO FORCE ROW LEVEL SECURITY')
    op.execute('ALTER TABLE "account" DISABLE ROW LEVEL SECURITY')
