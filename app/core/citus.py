"""`rostra db distribute`: the schema onto Citus, by `tenant_id`, without home-made sharding.

Platform tables (no `tenant_id`) become reference tables, copied to every node; tenant
tables become distributed tables by `tenant_id`, all colocated with the first, so one
school's rows of every table sit on one shard group and a query that carries its tenant id
(every repository's does) is routed to one node. Both in foreign-key order: Citus needs a
referenced table distributed (or a reference table) before a table that points to it.

The rules Citus needs of the schema are checked here too (`schema_problems`), so the
command refuses a schema that would fail half-way and the test suite holds the same rules.

Row-level security on the workers needs the transaction's `SET LOCAL app.*` settings there:
Citus sends them along only with `citus.propagate_set_commands = 'local'`, which the command
sets for the database (`ALTER DATABASE ... SET`) and then reads back (see the decision note
docs/decisions/2026-12-04-citus-distribution.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import MetaData, Table, UniqueConstraint, create_engine, make_url, text
from sqlalchemy.engine import Connection

TENANT_COLUMN = "tenant_id"
PROPAGATE_SET = "citus.propagate_set_commands"


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


def propagation_statement(owner_url: str) -> str:
    """The database-level setting that makes Citus send SET LOCAL to the workers (the
    database name is quoted as an identifier; ALTER DATABASE takes no bound parameters)."""
    url = make_url(owner_url)
    name = _quoted(url.database or "") if url.get_backend_name() == "postgresql" else "<database>"
    return f"ALTER DATABASE {name} SET {PROPAGATE_SET} = 'local'"


def _database_setting(conn: Connection) -> str | None:
    """What the database's own default of citus.propagate_set_commands is (None: unset)."""
    found = conn.execute(
        text(
            "SELECT split_part(c, '=', 2) FROM pg_db_role_setting s, unnest(s.setconfig) c "
            "WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = "
            "current_database()) AND s.setrole = 0 AND split_part(c, '=', 1) = :name"
        ),
        {"name": PROPAGATE_SET},
    ).scalar()
    return None if found is None else str(found)


def propagate_set_local(conn: Connection, owner_url: str) -> str:
    """Set citus.propagate_set_commands = 'local' for the database unless it is, then check
    that a new session of the database gets it; the line that says which."""
    before = _database_setting(conn)
    if before != "local":
        conn.execute(text(propagation_statement(owner_url)))
    if _database_setting(conn) != "local":
        raise CitusMissing(f"{PROPAGATE_SET} did not take for this database")
    if before == "local":
        return f"{PROPAGATE_SET} = 'local' for this database: already set"
    return f"{PROPAGATE_SET} = 'local' for this database: set (was {before or 'unset'})"


def distribute(owner_url: str, steps: list[DistributionStep]) -> list[str]:
    """Run the plan on a Citus coordinator as the schema owner; tables already done are
    skipped. First the database's citus.propagate_set_commands is set to 'local' (the line
    saying so comes first in the answer), so row-level security on the workers sees the
    transaction's SET LOCAL settings.

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
            done.append(propagate_set_local(conn, owner_url))
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
