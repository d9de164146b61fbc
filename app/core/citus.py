"""`rostra db distribute`: the schema onto Citus, by `tenant_id`, without home-made sharding.

Platform tables (no `tenant_id`) become reference tables, copied to every node; tenant
tables become distributed tables by `tenant_id`, all colocated with the first, so one
school's rows of every table sit on one shard group and a query that carries its tenant id
(every repository's does) is routed to one node. Both in foreign-key order: Citus needs a
referenced table distributed (or a reference table) before a table that points to it.

The rules Citus needs of the schema are checked here too (`schema_problems`), so the
command refuses a schema that would fail half-way and the test suite holds the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import MetaData, Table, UniqueConstraint, create_engine, text

TENANT_COLUMN = "tenant_id"


class CitusMissing(Exception):
    """The database has no citus extension: nothing can be distributed."""


@dataclass(frozen=True, slots=True)
class DistributionStep:
    table: str
    kind: Literal["reference", "distributed"]
    colocate_with: str | None = None  # distributed tables after the first

    def statement(self) -> tuple[str, dict[str, str]]:
        """The Citus call and its bound parameters (table names are never spliced in)."""
        if self.kind == "reference":
            return "SELECT create_reference_table(CAST(:table AS regclass))", {
                "table": _quoted(self.table)
            }
        return (
            "SELECT create_distributed_table(CAST(:table AS regclass), :column, "
            "colocate_with => :colocate)",
            {
                "table": _quoted(self.table),
                "column": TENANT_COLUMN,
                "colocate": self.colocate_with or "default",
            },
        )

    def line(self) -> str:
        if self.kind == "reference":
            return f"reference    {self.table}"
        with_ = f" (colocated with {self.colocate_with})" if self.colocate_with else ""
        return f"distributed  {self.table} by {TENANT_COLUMN}{with_}"


def _quoted(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def is_tenant_table(table: Table) -> bool:
    return TENANT_COLUMN in table.c


def distribution_plan(metadata: MetaData) -> list[DistributionStep]:
    """Reference tables first, then tenant tables, each group in foreign-key order."""
    ordered = list(metadata.sorted_tables)
    steps = [DistributionStep(t.name, "reference") for t in ordered if not is_tenant_table(t)]
    tenant = [t.name for t in ordered if is_tenant_table(t)]
    if tenant:
        first = tenant[0]
        steps.append(DistributionStep(first, "distributed"))
        steps += [DistributionStep(name, "distributed", colocate_with=first) for name in tenant[1:]]
    return steps


def schema_problems(metadata: MetaData) -> list[str]:
    """Every way the schema breaks a rule of distribution by tenant_id (empty: none)."""
    problems: list[str] = []
    for table in metadata.sorted_tables:
        problems += _key_problems(table) if is_tenant_table(table) else []
        problems += _reference_problems(table)
    return problems


def _key_problems(table: Table) -> list[str]:
    found = []
    if TENANT_COLUMN not in table.primary_key.columns:
        found.append(f"{table.name}: primary key lacks {TENANT_COLUMN}")
    uniques = [
        (str(c.name or "unique"), [col.name for col in c.columns])
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    uniques += [(str(i.name or ""), [c.name for c in i.columns]) for i in table.indexes if i.unique]
    for name, columns in uniques:
        if TENANT_COLUMN not in columns:
            found.append(f"{table.name}: unique {name or columns} lacks {TENANT_COLUMN}")
    return found


def _reference_problems(table: Table) -> list[str]:
    found = []
    for fk in table.foreign_key_constraints:
        referred = fk.referred_table
        pairs = {(e.parent.name, e.column.name) for e in fk.elements}
        if is_tenant_table(referred) and not is_tenant_table(table):
            found.append(f"{table.name} (platform) references tenant table {referred.name}")
        elif is_tenant_table(referred) and (TENANT_COLUMN, TENANT_COLUMN) not in pairs:
            found.append(f"{table.name} -> {referred.name}: foreign key lacks {TENANT_COLUMN}")
    return found


def distribute(owner_url: str, steps: list[DistributionStep]) -> list[str]:
    """Run the plan on a Citus coordinator as the schema owner; tables already done are skipped.

    Refuses (CitusMissing) on a database without the extension, before changing anything.
    """
    if not owner_url.startswith("postgresql"):
        raise CitusMissing("Citus runs on PostgreSQL; this database is not PostgreSQL")
    from app.core.migrate import sync_url

    engine = create_engine(sync_url(owner_url), isolation_level="AUTOCOMMIT")
    done: list[str] = []
    try:
        with engine.connect() as conn:
            citus = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'"))
            if citus.first() is None:
                raise CitusMissing(
                    "the citus extension is not installed in this database: run "
                    "CREATE EXTENSION citus on a Citus coordinator first; nothing was changed"
                )
            already = {
                str(row[0])
                for row in conn.execute(text("SELECT logicalrelid::text FROM pg_dist_partition"))
            }
            for step in steps:
                if step.table in already or _quoted(step.table) in already:
                    continue
                sql, params = step.statement()
                conn.execute(text(sql), params)
                done.append(step.line())
    finally:
        engine.dispose()
    return done
