"""Roster import (OneRoster 1.2 CSV zip or `roster.csv`): plan first, then write in bulk.

The plan is built from set-based reads of what the school has; nothing is written when
there is any row error or on a dry run. Writes use Core bulk inserts and bulk updates by
primary key, not the ORM per row. The import is the school's consent attestation
(method `school_import`, the school's notice version) for everyone it registers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_ids_by_phone_hashes
from app.accounts.service import phone_hash
from app.core import clock
from app.core.ids import new_id
from app.core.phones import InvalidPhone, normalize
from app.core.security import Keys
from app.roster import import_links as links
from app.roster import import_rows as rows
from app.roster import import_store as store
from app.roster.rosterfile import (
    CourseRow,
    PersonRow,
    RosterFile,
    RowError,
    parse_oneroster,
    parse_roster_file,
    parse_simple_csv,
)
from app.roster.schemas import ImportPlan
from app.tenancy.models import MembershipStatus, Tenant

Format = Literal["oneroster", "csv"]
IMPORT_REASON = "not in the school's roster file"
DELETED_REASON = "tobedeleted in the school's roster file"
ROLE_REASON = "another role in the school's roster file"
LIVE = (MembershipStatus.pending, MembershipStatus.active)


@dataclass
class ImportResult:
    plan: ImportPlan
    errors: list[RowError]


@dataclass
class Writes:
    """Everything the import would write, ready for bulk statements."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    membership_updates: list[dict[str, Any]] = field(default_factory=list)
    attestations: list[dict[str, Any]] = field(default_factory=list)
    courses: list[dict[str, Any]] = field(default_factory=list)
    course_updates: list[dict[str, Any]] = field(default_factory=list)
    enrollments: list[dict[str, Any]] = field(default_factory=list)
    enrollment_updates: list[dict[str, Any]] = field(default_factory=list)
    guardianships: list[dict[str, Any]] = field(default_factory=list)
    subjects: set[uuid.UUID] = field(default_factory=set)


class Importer:
    def __init__(
        self,
        session: AsyncSession,
        keys: Keys,
        tenant: Tenant,
        actor_id: uuid.UUID | None,
        roster: RosterFile,
        *,
        default_age_band: str | None,
        region: str,
    ) -> None:
        self.session, self.keys, self.tenant, self.actor_id = session, keys, tenant, actor_id
        self.roster = roster
        self.default_age_band = default_age_band
        self.region = region
        self.errors: list[RowError] = list(roster.errors)
        self.plan = ImportPlan(format=roster.kind, dry_run=True, notices=list(roster.notices))
        self.writes = Writes()
        self.now = clock.now()
        self.oneroster = roster.kind == "oneroster"
        self.users_file = "users.csv" if self.oneroster else "roster.csv"
        # Resolved along the way: file ids -> database ids.
        self.account_of: dict[str, uuid.UUID] = {}  # person source id -> account id
        self.course_of_source: dict[str, uuid.UUID] = {}
        self.rejected: set[str] = set()  # people whose rows are in error
        self.attestation_of: dict[str, dict[str, Any]] = {}
        self.same_org = False

    def error(self, file: str, line: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(file, line, column, message))

    def bulk(self, file: str) -> bool:
        return self.roster.mode.get(file) == "bulk"

    # --- people ---------------------------------------------------------------------------

    def normalise_people(self) -> list[tuple[PersonRow, str | None]]:
        """Each person with their E.164 number (None for a deletion without a number)."""
        people = list(self.roster.people)
        if not self.oneroster:
            people += self._guardians_named_only_by_phone(people)
        out: list[tuple[PersonRow, str | None]] = []
        seen: dict[str, int] = {}
        column = "sms" if self.oneroster else "phone"
        for person in people:
            if not person.phone:
                out.append((person, None))
                continue
            try:
                e164 = normalize(person.phone, self.region)
            except InvalidPhone as exc:
                self.error(self.users_file, person.line, column, f"{person.phone!r}: {exc}")
                self.rejected.add(person.source_id)
                continue
            if person.status == "active":
                if e164 in seen:
                    message = f"phone {e164} is already used on line {seen[e164]}"
                    self.error(self.users_file, person.line, column, message)
                    self.rejected.add(person.source_id)
                    continue
                seen[e164] = person.line
            out.append((person, e164))
        return out

    def _guardians_named_only_by_phone(self, people: list[PersonRow]) -> list[PersonRow]:
        known = {p.source_id for p in people}
        extra: dict[str, PersonRow] = {}
        for person in people:
            for key in person.guardian_source_ids:
                if key not in known and key not in extra:
                    extra[key] = PersonRow(key, key, "", "guardian", line=person.line)
        return list(extra.values())

    def age_band_of(self, person: PersonRow) -> str | None:
        if person.role != "student":
            return "adult" if person.role is not None else None
        return person.age_band or self.default_age_band or "under14"

    # --- the plan -------------------------------------------------------------------------

    async def build(self) -> None:
        people = self.normalise_people()
        hashes = {e164: phone_hash(self.keys, e164) for _, e164 in people if e164}
        accounts = await account_ids_by_phone_hashes(self.session, hashes.values())
        source = await store.roster_source(self.session, self.tenant.id)
        school = self.roster.school
        if school is not None and source is not None:
            self.same_org = source.org_source_id == school.source_id
            if not self.same_org:
                self.plan.notices.append(
                    f"the file's school {school.source_id!r} is not the one imported before "
                    f"({source.org_source_id!r}): nothing is retired for missing records"
                )
        elif school is not None:
            self.same_org = True
        memberships = await store.memberships(self.session, self.tenant.id)
        courses = await store.courses(self.session, self.tenant.id)
        enrollments = await store.enrollments(self.session, self.tenant.id)
        guardianships = await store.guardianships(self.session, self.tenant.id)
        self.plan_courses(courses)
        self.plan_people(people, hashes, accounts, memberships)
        links.plan_enrollments(self, enrollments, courses, memberships)
        links.plan_guardianships(self, people, memberships, guardianships)

    def plan_courses(self, existing: list[store.CourseState]) -> None:
        plan = self.plan.courses
        by_source = {c.source_id: c for c in existing if c.source_id}
        by_code = {c.code: c for c in existing}
        in_file: set[str] = set()
        for row in self.roster.courses:
            in_file.add(row.source_id)
            found = by_source.get(row.source_id) or by_code.get(row.code)
            if found is not None and found.source_id not in (None, row.source_id):
                message = f"classCode {row.code!r} is used by another course of the school"
                self.error("classes.csv", row.line, "classCode", message)
                continue
            if row.status == "tobedeleted":
                if found is not None and found.status == "active":
                    plan.deactivated += 1
                    self.writes.course_updates.append(
                        {"tenant_id": self.tenant.id, "id": found.id, "status": "inactive"}
                    )
                if found is not None:
                    self.course_of_source[row.source_id] = found.id
                continue
            if found is None:
                self._new_course(row)
                continue
            self.course_of_source[row.source_id] = found.id
            changes = self._course_changes(found, row)
            if changes:
                plan.updated += 1
                self.writes.course_updates.append(
                    {"tenant_id": self.tenant.id, "id": found.id, **changes}
                )
            else:
                plan.unchanged += 1
        if self.oneroster and self.bulk("classes.csv") and self.same_org:
            for course in existing:
                if (
                    course.source_id
                    and course.source_id not in in_file
                    and course.status == "active"
                ):
                    plan.deactivated += 1
                    self.writes.course_updates.append(
                        {"tenant_id": self.tenant.id, "id": course.id, "status": "inactive"}
                    )

    def _new_course(self, row: CourseRow) -> None:
        if row.starts_on is None or row.ends_on is None:
            message = f"the term {row.term_source_id!r} of a new class is not in the file"
            self.error("classes.csv", row.line, "termSourcedIds", message)
            return
        course = rows.course_row(self.tenant.id, row, self.now)
        self.course_of_source[row.source_id] = course["id"]
        self.plan.courses.created += 1
        self.writes.courses.append(course)

    @staticmethod
    def _course_changes(found: store.CourseState, row: CourseRow) -> dict[str, Any]:
        wanted: dict[str, Any] = {"code": row.code, "name": row.name, "source_id": row.source_id}
        if row.subject is not None:
            wanted["subject"] = row.subject
        if row.starts_on is not None and row.ends_on is not None:
            wanted |= {"term": row.term or None, "starts_on": row.starts_on, "ends_on": row.ends_on}
        if found.status != "active":
            wanted["status"] = "active"
        return {k: v for k, v in wanted.items() if getattr(found, k) != v}

    def plan_people(
        self,
        people: list[tuple[PersonRow, str | None]],
        hashes: dict[str, str],
        accounts: dict[str, uuid.UUID],
        existing: list[store.MembershipState],
    ) -> None:
        plan = self.plan.people
        by_key = {(m.account_id, m.role): m for m in existing}
        by_source = {m.source_id: m for m in existing if m.source_id}
        in_file: set[str] = set()
        for person, e164 in people:
            in_file.add(person.source_id)
            account_id = accounts.get(hashes[e164]) if e164 else None
            found = None
            if account_id is not None and person.role is not None:
                found = by_key.get((account_id, person.role))
            if found is None and self.oneroster:
                found = by_source.get(person.source_id)
            if found is not None:
                account_id = found.account_id if account_id is None else account_id
            if account_id is not None:
                self.account_of[person.source_id] = account_id
            if person.status == "tobedeleted":
                if found is not None and found.status in LIVE and found.role != "school_admin":
                    plan.deactivated += 1
                    self._membership_update(found, status="inactive", status_reason=DELETED_REASON)
                continue
            if person.role is None:
                if found is None:
                    message = "no role for this user, and the school does not know them"
                    self.error(self.users_file, person.line, "sourcedId", message)
                continue
            band = self.age_band_of(person)
            if person.role == "student" and band == "under14" and not person.guardian_source_ids:
                column = "agentSourcedIds" if self.oneroster else "guardian_phone"
                message = (
                    "a student under 14 needs a guardian (the age band comes from birthDate, "
                    "else default_age_band, else under 14 is assumed)"
                )
                self.error(self.users_file, person.line, column, message)
                self.rejected.add(person.source_id)
                continue
            sourced = by_source.get(person.source_id) if self.oneroster else None
            if sourced is not None and sourced.role != person.role:
                # One sourcedId holds one role here: the file's role replaces the old one, so
                # a teacher listed as a student loses the teacher's access now (an admin's
                # membership is the school's own and stays).
                if sourced.role != "school_admin":
                    retire: dict[str, Any] = {"source_id": None}
                    if sourced.status in LIVE:
                        plan.deactivated += 1
                        retire |= {"status": "inactive", "status_reason": ROLE_REASON}
                    self._membership_update(sourced, **retire)
                if found is sourced:
                    found = by_key.get((sourced.account_id, person.role))
            if found is None:
                if account_id is None:
                    assert e164 is not None
                    account_id = accounts[hashes[e164]] = new_id()
                    self.writes.accounts.append(
                        rows.account_row(
                            self.keys, account_id, hashes[e164], e164, person.display_name, self.now
                        )
                    )
                self.account_of[person.source_id] = account_id
                plan.created += 1
                membership = rows.membership_row(
                    self.tenant.id,
                    account_id,
                    person.role,
                    age_band=band,
                    name=person.display_name,
                    source_id=person.source_id if self.oneroster else None,
                    registered_by=self.actor_id,
                    now=self.now,
                )
                self.writes.memberships.append(membership)
                by_key[(account_id, person.role)] = store.MembershipState(
                    membership["id"], account_id, person.role, "pending", None, None, band, None
                )
                attested = rows.attestation_row(
                    membership,
                    under14=band == "under14",
                    notice_version=self.tenant.notice_version,
                    attested_by=self.actor_id,
                )
                self.attestation_of[person.source_id] = attested
                self.writes.attestations.append(attested)
                self.writes.subjects.add(account_id)
                continue
            changes: dict[str, Any] = {}
            if person.display_name and found.display_name != person.display_name:
                changes["display_name"] = person.display_name
            if band and found.age_band != band and person.role == "student":
                changes["age_band"] = band
            if self.oneroster and found.source_id != person.source_id:
                changes["source_id"] = person.source_id
            if found.status == "inactive" and (found.status_reason or "") in (
                IMPORT_REASON,
                DELETED_REASON,
                ROLE_REASON,
            ):
                changes |= {"status": "pending", "status_reason": None}
            if changes:
                plan.updated += 1
                self._membership_update(found, **changes)
            else:
                plan.unchanged += 1
        if self.oneroster and self.bulk("users.csv") and self.same_org:
            for m in existing:
                if (
                    m.source_id
                    and m.source_id not in in_file
                    and m.status in LIVE
                    and m.role != "school_admin"
                ):
                    plan.deactivated += 1
                    self._membership_update(m, status="inactive", status_reason=IMPORT_REASON)

    def _membership_update(self, m: store.MembershipState, **changes: Any) -> None:
        self.writes.subjects.add(m.account_id)
        self.writes.membership_updates.append(
            {"tenant_id": self.tenant.id, "id": m.id, "updated_at": self.now, **changes}
        )


def read_file(data: bytes, fmt: Format | None) -> RosterFile:
    today = clock.now().date()
    if fmt == "oneroster" or (fmt is None and data[:4] == b"PK\x03\x04"):
        return parse_oneroster(data, today=today)
    if fmt == "csv":
        return parse_simple_csv(data)
    return parse_roster_file(data)


async def import_roster(
    session: AsyncSession,
    keys: Keys,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
    data: bytes,
    *,
    fmt: Format | None = None,
    default_age_band: str | None = None,
    dry_run: bool = False,
    region: str = "CN",
) -> tuple[ImportResult, Writes]:
    """Plans the import; writes it unless this is a dry run or any row is in error."""
    importer = Importer(
        session,
        keys,
        tenant,
        actor_id,
        read_file(data, fmt),
        default_age_band=default_age_band,
        region=region,
    )
    await importer.build()
    importer.plan.dry_run = dry_run
    errors = sorted(importer.errors, key=lambda e: (e.file, e.line, e.column or ""))
    if not errors and not dry_run:
        await store.apply(session, tenant.id, importer.writes, importer.roster.school, importer.now)
    return ImportResult(importer.plan, errors), importer.writes
