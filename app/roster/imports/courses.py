"""The import's courses (OneRoster classes): matched by sourcedId, else by code; created,
updated, deactivated by `tobedeleted`, or retired when a bulk file leaves them out."""

from __future__ import annotations

from typing import Any

from app.roster.imports import rows
from app.roster.imports.plan import Planning
from app.roster.imports.repository import CourseState
from app.roster.imports.rosterfile import CourseRow


def plan_courses(p: Planning, existing: list[CourseState]) -> None:
    plan = p.plan.courses
    by_source = {c.source_id: c for c in existing if c.source_id}
    by_code = {c.code: c for c in existing}
    in_file: set[str] = set()
    for row in p.roster.courses:
        in_file.add(row.source_id)
        found = by_source.get(row.source_id) or by_code.get(row.code)
        if found is not None and found.source_id not in (None, row.source_id):
            message = f"classCode {row.code!r} is used by another course of the school"
            p.error("classes.csv", row.line, "classCode", message)
            p.rejected_courses.add(row.source_id)
            continue
        if row.status == "tobedeleted":
            if found is not None and found.status == "active":
                p.retire("courses", found.source_id or found.code, "tobedeleted in the file")
                _deactivate(p, found)
            if found is not None:
                p.course_of_source[row.source_id] = found.id
            continue
        if found is None:
            _new_course(p, row)
            continue
        p.course_of_source[row.source_id] = found.id
        changes = _course_changes(found, row)
        if changes:
            plan.updated += 1
            p.writes.course_updates.append({"tenant_id": p.tenant.id, "id": found.id, **changes})
        else:
            plan.unchanged += 1
    if p.retires_missing("classes.csv"):
        for course in existing:
            if (
                course.source_id
                and course.source_id not in in_file
                and not p.in_file("classes.csv", course.source_id)
                and course.status == "active"
            ):
                p.retire("courses", course.source_id, "not in the bulk file")
                _deactivate(p, course)


def _deactivate(p: Planning, course: CourseState) -> None:
    p.writes.course_updates.append(
        {"tenant_id": p.tenant.id, "id": course.id, "status": "inactive"}
    )


def _new_course(p: Planning, row: CourseRow) -> None:
    if row.starts_on is None or row.ends_on is None:
        message = f"the term {row.term_source_id!r} of a new class is not in the file"
        p.error("classes.csv", row.line, "termSourcedIds", message)
        p.rejected_courses.add(row.source_id)
        return
    course = rows.course_row(p.tenant.id, row, p.now)
    p.course_of_source[row.source_id] = course["id"]
    p.plan.courses.created += 1
    p.writes.courses.append(course)


def _course_changes(found: CourseState, row: CourseRow) -> dict[str, Any]:
    wanted: dict[str, Any] = {"code": row.code, "name": row.name, "source_id": row.source_id}
    if row.subject is not None:
        wanted["subject"] = row.subject
    if row.starts_on is not None and row.ends_on is not None:
        wanted |= {"term": row.term or None, "starts_on": row.starts_on, "ends_on": row.ends_on}
    if row.oneroster:
        wanted["oneroster"] = row.oneroster
    if found.status != "active":
        wanted["status"] = "active"
    return {k: v for k, v in wanted.items() if getattr(found, k) != v}
