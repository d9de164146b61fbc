"""The state a OneRoster read shares between its phases, and the checks every file's rows go
through (unique sourcedId, valid status, references to other files)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterator
from datetime import date

from app.roster.imports.rosterfile.rows import (
    COLUMNS,
    STATUSES,
    CourseRow,
    PersonRow,
    Reference,
    RosterFile,
    RowError,
    SessionRow,
    Status,
    Table,
    kept,
)


class OneRosterReader:
    """Reads the tables in reference order: orgs, terms, courses, classes, people, links.

    A reference to a row missing from the file is an error when the referenced file is
    bulk; in a delta it may name something the school already has, so it passes. A
    reference to a row that is in the file but was rejected drops quietly: that row's
    own error already says why.
    """

    def __init__(
        self, out: RosterFile, tables: dict[str, Table], today: date | None, orgs: frozenset[str]
    ) -> None:
        self.out = out
        self.orgs = set(orgs)  # the school's orgs; empty: the file's one school org
        self.elsewhere_count: Counter[str] = Counter()
        self.other_classes: set[str] = set()
        self.tables = tables
        self.today = today
        self.present: dict[str, set[str]] = {name: set() for name in COLUMNS}
        self.sessions: dict[str, SessionRow] = {}
        self.subjects: dict[str, str] = {}
        self.course_rows: dict[str, dict[str, str]] = {}  # courses.csv, kept to give back
        self.courses: dict[str, CourseRow] = {}
        self.people: dict[str, PersonRow] = {}
        self.person_lines: dict[str, int] = {}
        self.phone_columns: dict[str, str] = {}  # sms, or phone when sms is blank
        self.primary_role: set[str] = set()
        self.unmapped_roles: dict[str, list[str]] = {}  # roles Rostra has no use for
        self.ours: set[str] = set()
        self.theirs: set[str] = set()
        self.extensions = {file: table.extensions for file, table in tables.items()}
        for file, table in tables.items():  # other schools' rows, skipped unread
            if table.skipped:
                self.elsewhere_count[file] += len(table.skipped)
                if file != "roles.csv":  # roles' skipped are users, not roles
                    self.present.setdefault(file, set()).update(table.skipped)
        self.other_classes.update(tables.get("classes.csv", Table()).skipped)

    def not_this_school(self, file: str) -> None:
        self.elsewhere_count[file] += 1

    def ours_org(self, org_id: str) -> bool:
        """An org of this school: the tenant file's, else the file's one school org (a delta
        without orgs.csv names no school: every org passes)."""
        return not self.orgs or org_id in self.orgs

    def users_by_org(self) -> tuple[set[str], set[str]]:
        """Users with a role at this school, and users with roles only at other orgs."""
        ours: set[str] = set()
        elsewhere: set[str] = set()
        for _, row in self.tables.get("roles.csv", Table()).rows:
            (ours if self.ours_org(row["orgSourcedId"]) else elsewhere).add(row["userSourcedId"])
        return ours, elsewhere - ours

    def error(self, file: str, line: int, column: str | None, message: str) -> None:
        self.out.errors.append(RowError(file, line, column, message))

    def dependent(self, file: str, line: int, column: str | None, message: str) -> None:
        """A row left out with a row it depends on (that row's own error says why)."""
        self.out.dependents.append(RowError(file, line, column, message))

    def report(self, file: str, line: int, problems: list[tuple[str, str | None]]) -> bool:
        """Record the row's problems (None means fine); True if there were any."""
        found = [(column, message) for column, message in problems if message]
        for column, message in found:
            self.error(file, line, column, message)
        return bool(found)

    def records(self, file: str) -> Iterator[tuple[int, dict[str, str], Status]]:
        """Rows with a unique sourcedId and a valid status."""
        first_line: dict[str, int] = {}
        for line, row in self.tables.get(file, Table()).rows:
            source_id = row["sourcedId"]
            if not source_id:
                self.error(file, line, "sourcedId", "sourcedId is empty")
                continue
            if source_id in first_line:
                message = (
                    f"duplicate sourcedId {source_id!r} (first on line {first_line[source_id]})"
                )
                self.error(file, line, "sourcedId", message)
                continue
            first_line[source_id] = line
            self.present[file].add(source_id)
            status = STATUSES.get(row["status"])
            if status is None:
                message = f"status must be active or tobedeleted, not {row['status']!r}"
                self.error(file, line, "status", message)
                continue
            yield line, row, status

    def kept(self, file: str, row: dict[str, str], columns: tuple[str, ...]) -> dict[str, str]:
        """The row's values of `columns` and its `metadata.*` extensions, to give back."""
        return kept(row, columns, self.extensions.get(file, ()))

    def reference(self, file: str, ref: str, accepted: Container[str]) -> Reference:
        if ref in accepted:
            return "accepted"
        if ref in self.present[file]:
            return "rejected"
        return "unknown" if self.out.mode.get(file) == "bulk" else "outside"
