"""The deletion log out of one database and into a restored one (RET-6, docs/operations.md).

`export_log` writes the log as JSON lines, one per sweep batch and table (ids only: table,
school, the batch's keys, action, run, at), and one per deleted school (action `school`:
every row and object of the school went, offboarding or shutdown), and one per person erased
in a school by an approved deletion (action `erase`, key the account id).
`replay` applies such a file to the database it connects to, typically a backup restored
from before those deletions: every row the log names is removed again (rollups folded into
their lesson's tally first, as the sweep did), a whole school by the deletion that removed
it (given by the caller: offboarding sits above this layer), and the entries join that
database's own log. Rows and schools already gone are skipped, so replaying twice changes
nothing the second time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.core.ids import new_id
from app.retention.batches import Target, enter_sweep, remove
from app.retention.models import DeletionLog
from app.retention.rules import PLATFORM_RULES, SCHOOL_RULES, Rule
from app.rights.erasure import ERASE, erase_rows

_LOG = DeletionLog.__table__  # type: ignore[attr-defined]
CHUNK = 20  # entries (sweep batches) per transaction
SCHOOL = "school"  # the action of a whole school's entry (table `tenant`, key its id)


@dataclass(frozen=True)
class SchoolReplayed:
    """A school a replay deleted again, as its (new) signed proof says."""

    slug: str
    rows: int  # rows of the school in this database before
    objects: int  # objects removed from the store
    proof_id: uuid.UUID


# Deletes the school of a whole-school entry again; None when the school is not there.
SchoolReplay = Callable[[Database, dict[str, Any]], Awaitable[SchoolReplayed | None]]


@dataclass
class ReplayReport:
    entries: int = 0  # log entries (one per sweep batch and table, one per school)
    rows: int = 0  # rows the entries name (a school's: as it was when it was deleted)
    removed: dict[str, int] = field(default_factory=dict)  # table -> rows removed again
    already_gone: int = 0
    schools: list[SchoolReplayed] = field(default_factory=list)
    schools_gone: int = 0

    def lines(self) -> list[str]:
        out = [f"replayed {self.entries} deletion log entries ({self.rows} rows)"]
        out += [f"  {t}: {n} rows removed again" for t, n in sorted(self.removed.items())]
        out += [
            f"  school {s.slug}: deleted again ({s.rows} rows, {s.objects} objects), "
            f"proof {s.proof_id}"
            for s in self.schools
        ]
        out.append(f"  already gone: {self.already_gone}")
        if self.schools_gone:
            out.append(f"  schools already gone: {self.schools_gone}")
        return out


def school_entry(
    school_id: uuid.UUID, rows: int, category: str, run_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    """The log entry (its exported form) of a school deleted whole: ids only."""
    return {
        "id": str(new_id()),
        "table_name": "tenant",
        "category": category,
        "school_id": str(school_id),
        "keys": {"id": [str(school_id)]},
        "rows": rows,
        "action": SCHOOL,
        "run_id": str(run_id),
        "at": at.isoformat(),
    }


def log_row(entry: dict[str, Any]) -> dict[str, Any]:
    """An exported entry as the `deletion_log` row it came from."""
    return {
        "id": uuid.UUID(entry["id"]),
        "table_name": entry["table_name"],
        "category": entry["category"],
        "school_id": uuid.UUID(entry["school_id"]) if entry["school_id"] else None,
        "keys": entry["keys"],
        "row_count": entry["rows"],
        "action": entry["action"],
        "run_id": uuid.UUID(entry["run_id"]),
        "at": datetime.fromisoformat(entry["at"]),
    }


async def export_log(db: Database, path: Path, since: datetime | None = None) -> int:
    """Append-only JSON lines, oldest first; how many entries were written."""
    written = 0
    async with db.session() as session:
        # A batch's entries share `at`; within one, ids order children before their parents.
        query = select(_LOG).order_by(_LOG.c.at, _LOG.c.id)
        if since is not None:
            query = query.where(_LOG.c.at >= since)
        with path.open("w", encoding="utf-8") as out:
            for row in (await session.execute(query)).mappings():
                entry = {k: row[k] for k in ("table_name", "category", "keys", "action")}
                entry["rows"] = row["row_count"]
                entry |= {
                    "id": str(row["id"]),
                    "school_id": str(row["school_id"]) if row["school_id"] else None,
                    "run_id": str(row["run_id"]),
                    "at": row["at"].isoformat(),
                }
                out.write(json.dumps(entry, sort_keys=True) + "\n")
                written += 1
    return written


def read_log(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as source:
        for line in source:
            if line.strip():
                yield json.loads(line)


def _rule_for(table: str, action: str) -> Rule:
    """A rule that removes rows of `table` the way the sweep did (children included)."""
    for rule in (*SCHOOL_RULES, *PLATFORM_RULES):
        if rule.table_name == table and rule.anonymise == (action == "anonymise"):
            return rule
    for rule in SCHOOL_RULES:  # a child table (recording_grant) of a swept one
        for child in rule.children:
            if child.table == table:
                return Rule(rule.category, table, "created_at")
    raise ValueError(f"the deletion log names a table no rule sweeps: {table}")


async def _replay_group(
    session: AsyncSession, db: Database, entries: list[dict[str, Any]], report: ReplayReport
) -> None:
    first = entries[0]
    school = uuid.UUID(first["school_id"]) if first["school_id"] else None
    rule = _rule_for(first["table_name"], first["action"])
    columns = [c.name for c in rule.key_columns]
    wanted = [
        tuple(_typed(rule, c, e["keys"][c][i]) for c in columns)
        for e in entries
        for i in range(int(e["rows"]))
    ]
    await enter_sweep(session, school)
    scope = [rule.table.c.tenant_id == school] if school is not None else []
    present = {
        tuple(r)
        for r in await session.execute(
            select(*rule.key_columns).where(*scope, _in(rule, columns, wanted))
        )
    }
    keys = [k for k in wanted if k in present]
    if keys:
        await remove(session, Target(db, None, school, None), rule, keys)
    report.removed[rule.table_name] = report.removed.get(rule.table_name, 0) + len(keys)
    report.already_gone += len(wanted) - len(keys)


async def _replay_erasure(
    session: AsyncSession, entry: dict[str, Any], report: ReplayReport
) -> None:
    """A person's data erased in a school by an approved deletion: erased again."""
    school = uuid.UUID(entry["school_id"])
    for account in entry["keys"]["account_id"]:
        counts = await erase_rows(session, school, uuid.UUID(account))
        for table, n in counts.items():
            report.removed[table] = report.removed.get(table, 0) + n


def _typed(rule: Rule, column: str, value: str) -> Any:
    return uuid.UUID(value) if rule.table.c[column].type.python_type is uuid.UUID else value


def _in(rule: Rule, columns: list[str], keys: list[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return rule.table.c[columns[0]].in_([k[0] for k in keys])
    return tuple_(*(rule.table.c[c] for c in columns)).in_(keys)


async def _record(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """The replayed entries join this database's log (those it has already are skipped)."""
    ids = [uuid.UUID(e["id"]) for e in entries]
    have = set((await session.execute(select(_LOG.c.id).where(_LOG.c.id.in_(ids)))).scalars())
    rows = [log_row(e) for e in entries if uuid.UUID(e["id"]) not in have]
    if rows:
        await session.execute(insert(_LOG), rows)


async def replay(db: Database, path: Path, schools: SchoolReplay | None = None) -> ReplayReport:
    """Apply a deletion log file in order, in chunks of one transaction each; a whole school
    by `schools` (its own transactions, after the entries before it)."""
    report = ReplayReport()
    chunk: list[dict[str, Any]] = []
    for entry in read_log(path):
        if entry["action"] == SCHOOL:
            if chunk:
                await _replay_chunk(db, chunk, report)
                chunk = []
            await _replay_school(db, entry, schools, report)
            continue
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            await _replay_chunk(db, chunk, report)
            chunk = []
    if chunk:
        await _replay_chunk(db, chunk, report)
    return report


async def _replay_school(
    db: Database, entry: dict[str, Any], schools: SchoolReplay | None, report: ReplayReport
) -> None:
    if schools is None:
        raise ValueError("the deletion log names a whole school: replay it with the school's")
    replayed = await schools(db, entry)
    if replayed is None:
        report.schools_gone += 1
    else:
        report.schools.append(replayed)
    async with db.session() as session:  # recorded by the deletion; here if it was gone
        await enter_sweep(session, None)
        await _record(session, [entry])
    report.entries += 1
    report.rows += int(entry["rows"])


async def _replay_chunk(db: Database, chunk: list[dict[str, Any]], report: ReplayReport) -> None:
    async with db.session() as session:
        for entry in chunk:  # in the log's order: a batch's children before their parents
            if entry["action"] == ERASE:
                await _replay_erasure(session, entry, report)
            else:
                await _replay_group(session, db, [entry], report)
        await enter_sweep(session, None)
        await _record(session, chunk)
    report.entries += len(chunk)
    report.rows += sum(int(e["rows"]) for e in chunk)
