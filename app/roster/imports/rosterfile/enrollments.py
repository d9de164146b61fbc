"""OneRoster's enrolments: a person in a class in an enrolment role, after both are read."""

from __future__ import annotations

from collections import Counter

from app.roster.imports.rosterfile.reader import OneRosterReader
from app.roster.imports.rosterfile.rows import (
    ENROLLMENT_ROLE_BY_ONEROSTER,
    ENROLLMENT_ROLE_COLUMN,
    KEPT_ENROLLMENT,
    EnrollmentRow,
)


def read_enrollments(r: OneRosterReader) -> None:
    file = "enrollments.csv"
    skipped: Counter[str] = Counter()
    pair_lines: dict[tuple[str, str], int] = {}
    for line, row, status in r.records(file):
        class_id, user_id = row["classSourcedId"], row["userSourcedId"]
        school_id = row["schoolSourcedId"]
        if class_id in r.other_classes or (school_id and not r.ours_org(school_id)):
            r.not_this_school(file)
            continue
        course = r.reference("classes.csv", class_id, r.courses)
        person = r.reference("users.csv", user_id, r.people)
        if course == "unknown":
            r.error(file, line, "classSourcedId", f"unknown class {class_id!r}")
        if person == "unknown":
            r.error(file, line, "userSourcedId", f"unknown user {user_id!r}")
        if course == "unknown" or person == "unknown":
            continue
        if "rejected" in (course, person):
            column, ref = ("classSourcedId", class_id)
            if person == "rejected":
                column, ref = ("userSourcedId", user_id)
            r.dependent(file, line, column, f"skipped with {ref!r}, which is in error")
            continue
        role = ENROLLMENT_ROLE_BY_ONEROSTER.get(row["role"])
        if role == "teacher" and row[ENROLLMENT_ROLE_COLUMN] == "assistant":
            role = "assistant"
        if role is None:
            skipped[row["role"]] += 1
            continue
        if status == "active":
            if (class_id, user_id) in pair_lines:
                first = pair_lines[(class_id, user_id)]
                message = f"user {user_id!r} is already in class {class_id!r} on line {first}"
                r.error(file, line, "userSourcedId", message)
                continue
            pair_lines[(class_id, user_id)] = line
        r.out.enrollments.append(
            EnrollmentRow(
                row["sourcedId"],
                class_id,
                user_id,
                role,
                status,
                line=line,
                oneroster=r.kept(file, row, KEPT_ENROLLMENT),
            )
        )
    for role_name, count in sorted(skipped.items()):
        r.out.notices.append(f"skipped {count} enrollments with role {role_name!r}")
