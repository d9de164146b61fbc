"""The import's links: enrolments (course, person, role) and guardianships, planned against
what the school has, after the courses and people they link."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.roster.imports import rows
from app.roster.imports.people import Person
from app.roster.imports.plan import Planning
from app.roster.imports.repository import CourseState, EnrollmentState, MembershipState
from app.roster.imports.rosterfile import EnrollmentRow

EnrollmentKey = tuple[uuid.UUID, uuid.UUID, str]


@dataclass
class _School:
    """The school's enrolments, courses and people, indexed for the file's references."""

    by_source: dict[str, EnrollmentState]
    by_key: dict[EnrollmentKey, EnrollmentState]
    course_by_source: dict[str, uuid.UUID]
    course_by_code: dict[str, uuid.UUID]
    person_by_source: dict[str, uuid.UUID]


def plan_enrollments(
    p: Planning,
    existing: list[EnrollmentState],
    courses: list[CourseState],
    memberships: list[MembershipState],
) -> None:
    school = _School(
        by_source={e.source_id: e for e in existing if e.source_id},
        by_key={(e.course_id, e.account_id, e.role): e for e in existing},
        course_by_source={c.source_id: c.id for c in courses if c.source_id},
        course_by_code={c.code: c.id for c in courses},
        person_by_source={m.source_id: m.account_id for m in memberships if m.source_id},
    )
    in_file: set[str] = set()
    seen: set[EnrollmentKey] = set()
    for row in p.roster.enrollments:
        in_file.add(row.source_id)
        key = _resolve(p, school, row)
        if key is not None:
            _plan_enrollment(p, school, row, key, seen)
    if p.retires_missing("enrollments.csv"):
        for e in existing:
            if (
                e.source_id
                and e.source_id not in in_file
                and not p.in_file("enrollments.csv", e.source_id)
                and e.status == "active"
            ):
                p.retire("enrollments", e.source_id, "not in the bulk file")
                _enrollment_update(p, e, status="removed", removed_at=p.now)


def _resolve(p: Planning, school: _School, row: EnrollmentRow) -> EnrollmentKey | None:
    """(course, account, role) of the row; a row error for an unknown course or person."""
    file = "enrollments.csv" if p.oneroster else "roster.csv"
    if row.course_source_id:
        course_id = p.course_of_source.get(row.course_source_id) or school.course_by_source.get(
            row.course_source_id
        )
    else:
        course_id = school.course_by_code.get(row.course_code or "")
    account_id = p.account_of.get(row.person_source_id) or school.person_by_source.get(
        row.person_source_id
    )
    if course_id is None:
        column = "classSourcedId" if p.oneroster else "course_code"
        name = row.course_source_id or row.course_code
        if row.course_source_id in p.rejected_courses:
            p.dependent(file, row.line, column, f"skipped with {name!r}, which is in error")
        else:
            p.error(file, row.line, column, f"unknown course {name!r}")
        return None
    if account_id is None or row.person_source_id in p.rejected:
        if row.person_source_id in p.rejected:
            column = "userSourcedId" if p.oneroster else "phone"
            message = f"skipped with {row.person_source_id!r}, which is in error"
            p.dependent(file, row.line, column, message)
            return None
        column = "userSourcedId" if p.oneroster else "phone"
        p.error(file, row.line, column, f"unknown user {row.person_source_id!r}")
        return None
    return course_id, account_id, row.role


def _plan_enrollment(
    p: Planning, school: _School, row: EnrollmentRow, key: EnrollmentKey, seen: set[EnrollmentKey]
) -> None:
    plan = p.plan.enrollments
    found = (school.by_source.get(row.source_id) if p.oneroster else None) or school.by_key.get(key)
    if row.status == "tobedeleted":
        if found is not None and found.status == "active":
            p.retire("enrollments", found.source_id, "tobedeleted in the file")
            _enrollment_update(p, found, status="removed", removed_at=p.now)
        return
    if key in seen:
        return
    seen.add(key)
    course_id, account_id, role = key
    if found is None:
        plan.created += 1
        p.writes.subjects.add(account_id)
        source_id = row.source_id if p.oneroster else None
        kept = row.oneroster or None
        p.writes.enrollments.append(
            rows.enrollment_row(p.tenant.id, course_id, account_id, role, source_id, p.now, kept)
        )
        return
    changes: dict[str, Any] = {}
    if found.status != "active":
        changes |= {"status": "active", "removed_at": None}
    if p.oneroster and found.source_id != row.source_id:
        changes["source_id"] = row.source_id
    if p.oneroster and (found.oneroster or None) != (row.oneroster or None):
        changes["oneroster"] = row.oneroster or None
    if changes:
        plan.updated += 1
        _enrollment_update(p, found, **changes)
    else:
        plan.unchanged += 1


def _enrollment_update(p: Planning, e: EnrollmentState, **changes: Any) -> None:
    p.writes.subjects.add(e.account_id)
    p.writes.enrollment_updates.append({"tenant_id": p.tenant.id, "id": e.id, **changes})


def plan_guardianships(
    p: Planning,
    people: list[Person],
    memberships: list[MembershipState],
    existing: set[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    person_by_source = {m.source_id: m.account_id for m in memberships if m.source_id}
    for person, _ in people:
        if (
            "student" not in person.roles
            or person.status != "active"
            or person.source_id in p.rejected
        ):
            continue
        student = p.account_of.get(person.source_id)
        if student is None:
            continue
        attested = p.attestation_of.get(person.source_id)
        for ref in person.guardian_source_ids:
            guardian = p.account_of.get(ref) or person_by_source.get(ref)
            if guardian is None or ref in p.rejected:
                continue
            if attested is not None and attested["given_by"] == "guardian":
                attested["guardian_id"] = attested["guardian_id"] or guardian
            if (guardian, student) in existing:
                p.plan.guardianships.unchanged += 1
                continue
            existing.add((guardian, student))
            p.plan.guardianships.created += 1
            p.writes.guardianships.append(
                rows.guardianship_row(p.tenant.id, guardian, student, p.now)
            )
