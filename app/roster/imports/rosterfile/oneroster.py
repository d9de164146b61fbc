"""OneRoster 1.1 and 1.2 CSV zips: the reader that ties the tables together, in reference order.

The phases live beside it: `orgs` (orgs, terms, courses, classes), `users` (users, roles,
demographics) and `enrollments`; `reader` holds the state they share.
"""

from __future__ import annotations

from datetime import date

from app.roster.imports.rosterfile.archive import read_manifest, read_tables, unzip
from app.roster.imports.rosterfile.enrollments import read_enrollments
from app.roster.imports.rosterfile.orgs import (
    read_classes,
    read_oneroster_courses,
    read_orgs,
    read_sessions,
)
from app.roster.imports.rosterfile.reader import OneRosterReader
from app.roster.imports.rosterfile.rows import VERSIONS, ArchiveLimits, RosterFile
from app.roster.imports.rosterfile.users import (
    read_demographics,
    read_roles,
    read_users,
    settle_people,
)


def parse_oneroster(
    data: bytes,
    *,
    today: date | None = None,
    limits: ArchiveLimits | None = None,
    orgs: frozenset[str] = frozenset(),
) -> RosterFile:
    """Read a OneRoster CSV zip.

    With `today`, people with a birth date get an age band, and a student under 14
    without a guardian (agentSourcedIds) is an error, as in `roster.csv`.
    """
    out = RosterFile(kind="oneroster")
    files = unzip(data, out, limits or ArchiveLimits())
    if files is None:
        return out
    declared = read_manifest(files, out)
    if out.version not in VERSIONS:
        return out  # one clear error, not a cascade of follow-on ones
    tables = read_tables(files, declared, out, orgs)
    _read(OneRosterReader(out, tables, today, orgs))
    return out


def _read(r: OneRosterReader) -> None:
    """The phases in reference order: what a row points at is read before the row."""
    read_orgs(r)
    read_sessions(r)
    read_oneroster_courses(r)
    read_classes(r)
    r.ours, r.theirs = r.users_by_org()
    read_users(r)
    read_roles(r)
    read_demographics(r)
    settle_people(r)
    read_enrollments(r)
    r.out.sessions = list(r.sessions.values())
    r.out.courses = list(r.courses.values())
    r.out.people = list(r.people.values())
    r.out.not_this_school = {k: v for k, v in sorted(r.elsewhere_count.items()) if v}
    r.out.present = r.present
