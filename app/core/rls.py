"""Row-level security for tenant-owned tables (PostgreSQL): the second wall after the code."""

from __future__ import annotations

from alembic import op

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def enable_tenant_rls(table: str, extra_using: str | None = None) -> None:
    """Enable and force RLS on `table`; rows are visible only inside their school's transaction."""
    if op.get_bind().dialect.name != "postgresql":
        return
    using = TENANT_PREDICATE if extra_using is None else f"({TENANT_PREDICATE}) OR ({extra_using})"
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    check = TENANT_PREDICATE
    op.execute(f'CREATE POLICY tenant_isolation ON "{table}" USING ({using}) WITH CHECK ({check})')


def disable_tenant_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
