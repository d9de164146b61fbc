"""The import's links: enrolments (course, person, role) and guardianships, planned
against what the school has. Functions of the `Importer` that holds the plan."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from app.roster import import_rows as rows
from app.roster import import_store as store
from app.roster.rosterfile import EnrollmentRow, PersonRow

if TYPE_CHECKING:
    from app.roster.importing import Importer


def plan_enrollments(
    imp: Importer,
    existing: list[store.EnrollmentState],
    courses: list[store.CourseState],
    memberships: list[store.MembershipState],
) -> None:
    plan = imp.plan.enrollments
    file = "enrollments.csv" if imp.oneroster else "roster.csv"
    by_source = {e.source_id: e for e in existing if e.source_id}
    by_key = {(e.course_id, e.account_id, e.role): e for e in existing}
    course_by_source = {c.source_id: c.id for c in courses if c.source_id}
    course_by_code = {c.code: c.id for c in courses}
    person_by_source = {m.source_id: m.account_id for m in memberships if m.source_id}
    in_file: set[str] = set()
    seen: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    for row in imp.roster.enrollments:
        in_file.add(row.source_id)
        course_id = _course_id(imp, row, course_by_source, course_by_code)
        account_id = imp.account_of.get(row.person_source_id) or person_by_source.get(
            row.person_source_id
        )
        if course_id is None:
            column = "classSourcedId" if imp.oneroster else "course_code"
            name = row.course_source_id or row.course_code
            imp.error(file, row.line, column, f"unknown course {name!r}")
            continue
        if account_id is None:
            if row.person_source_id in imp.rejected:
                continue  # the person's own row error says why
            column = "userSourcedId" if imp.oneroster else "phone"
            imp.error(file, row.line, column, f"unknown user {row.person_source_id!r}")
            continue
        key = (course_id, account_id, row.role)
        found = (by_source.get(row.source_id) if imp.oneroster else None) or by_key.get(key)
        if row.status == "tobedeleted":
            if found is not None and found.status == "active":
                plan.deactivated += 1
                _enrollment_update(imp, found, status="removed", removed_at=imp.now)
            continue
        if key in seen:
            continue
        seen.add(key)
        if found is None:
            plan.created += 1
            imp.writes.subjects.add(account_id)
            imp.writes.enrollments.append(
                rows.enrollment_row(
                    imp.tenant.id,
                    course_id,
                    account_id,
                    row.role,
                    row.source_id if imp.oneroster else None,
                    imp.now,
                )
            )
            continue
        changes: dict[str, Any] = {}
        if found.status != "active":
            changes |= {"status": "active", "removed_at": None}
        if imp.oneroster and found.source_id != row.source_id:
            changes["source_id"] = row.source_id
        if changes:
            plan.updated += 1
            _enrollment_update(imp, found, **changes)
        else:
            plan.unchanged += 1
    if imp.oneroster and imp.bulk("enrollments.csv") and imp.same_org:
        for e in existing:
            if e.source_id and e.source_id not in in_file and e.status == "active":
                plan.deactivated += 1
                _enrollment_update(imp, e, status="removed", removed_at=imp.now)


def _course_id(
    imp: Importer,
    row: EnrollmentRow,
    by_source: dict[str, uuid.UUID],
    by_code: dict[str, uuid.UUID],
) -> uuid.UUID | None:
    if row.course_source_id:
        return imp.course_of_source.get(row.course_source_id) or by_source.get(row.course_source_id)
    return by_code.get(row.course_code or "")


def _enrollment_update(imp: Importer, e: store.EnrollmentState, **changes: Any) -> None:
    imp.writes.subjects.add(e.account_id)
    imp.writes.enrollment_updates.append({"tenant_id": imp.tenant.id, "id": e.id, **changes})


def plan_guardianships(
    imp: Importer,
    people: list[tuple[PersonRow, str | None]],
    memberships: list[store.MembershipState],
    existing: set[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    person_by_source = {m.source_id: m.account_id for m in memberships if m.source_id}
    for person, _ in people:
        if person.role != "student" or person.status != "active":
            continue
        student = imp.account_of.get(person.source_id)
        if student is None:
            continue
        attested = imp.attestation_of.get(person.source_id)
        for ref in person.guardian_source_ids:
            guardian = imp.account_of.get(ref) or person_by_source.get(ref)
            if guardian is None:
                continue
            if attested is not None and attested["given_by"] == "guardian":
                attested["guardian_id"] = attested["guardian_id"] or guardian
            if (guardian, student) in existing:
                imp.plan.guardianships.unchanged += 1
                continue
            existing.add((guardian, student))
            imp.plan.guardianships.created += 1
            imp.writes.guardianships.append(
                rows.guardianship_row(imp.tenant.id, guardian, student, imp.now)
            )
