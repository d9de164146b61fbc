"""Writing a OneRoster 1.2 bulk zip that the reader reads back to the same rows."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from app.core import csvout
from app.roster.imports.rosterfile.reading import display_name, split_name
from app.roster.imports.rosterfile.rows import (
    AGE_BAND_COLUMN,
    COLUMNS,
    ENROLLMENT_ROLE_COLUMN,
    MANIFEST_FILES,
    METADATA_PREFIX,
    ONEROSTER_ENROLLMENT,
    ONEROSTER_ROLE_BY_PERSON_ROLE,
    CourseRow,
    EnrollmentRow,
    OrgRow,
    PersonRow,
    SessionRow,
)

# --- writing OneRoster --------------------------------------------------------------------


Row = dict[str, str]
Table = list[Row]
NAME_COLUMNS = (
    "givenName", "familyName", "middleName", "preferredGivenName", "preferredMiddleName",
    "preferredFamilyName",
)  # fmt: skip


def write_oneroster(
    school: OrgRow,
    sessions: Sequence[SessionRow],
    courses: Sequence[CourseRow],
    people: Sequence[PersonRow],
    enrollments: Sequence[EnrollmentRow],
    *,
    modified_at: datetime | None = None,
) -> bytes:
    """A OneRoster 1.2 bulk zip that `parse_oneroster` reads back to the same rows.

    Raises ValueError when the inputs do not fit together (a course's term is not in
    `sessions`, an enrollment's course is not in `courses`): that is a caller's bug.
    """
    stamp_at = (modified_at or datetime.now(UTC)).astimezone(UTC)
    # Bulk mode: status and dateLastModified stay blank in every row.
    common = {"status": "", "dateLastModified": ""}
    subject_ids = _subject_ids(school, sessions, courses)
    files = _school_tables(school, sessions, courses, subject_ids, common)
    files |= _people_tables(school, courses, people, enrollments, common)
    if not files["demographics.csv"]:
        del files["demographics.csv"]
    return _zip(files, stamp_at)


def _subject_ids(
    school: OrgRow, sessions: Sequence[SessionRow], courses: Sequence[CourseRow]
) -> dict[str, str]:
    """One OneRoster course per subject (classes are Rostra's courses) for classes made in
    Rostra; an imported class keeps the course the file gave it. Every term given."""
    term_ids = {session.source_id for session in sessions}
    subject_ids: dict[str, str] = {}
    for course in courses:
        if course.term_source_id not in term_ids:
            raise ValueError(f"course {course.code!r}: term {course.term_source_id!r} not given")
        if "course" not in course.oneroster:
            subject_ids.setdefault(
                course.subject or course.name,
                f"{school.source_id}-subject-{len(subject_ids) + 1}",
            )
    return subject_ids


def _oneroster_courses(
    school: OrgRow, courses: Sequence[CourseRow], subject_ids: dict[str, str], common: Row
) -> Table:
    """courses.csv: the generated ones, then each kept one once."""
    rows: dict[str, Row] = {
        course_id: {
            **common,
            "sourcedId": course_id,
            "title": subject,
            "orgSourcedId": school.source_id,
        }
        for subject, course_id in subject_ids.items()
    }
    for course in courses:
        kept = course.oneroster.get("course")
        if kept and kept["sourcedId"] not in rows:
            rows[kept["sourcedId"]] = {**common, **kept}
    return list(rows.values())


def _class_row(school: OrgRow, c: CourseRow, subject_ids: dict[str, str], common: Row) -> Row:
    kept = c.oneroster.get("class", {})
    course = c.oneroster.get("course")
    return {
        **common, "classType": "scheduled", "termSourcedIds": c.term_source_id, **kept,
        "sourcedId": c.source_id, "title": c.name, "classCode": c.code,
        "courseSourcedId": course["sourcedId"] if course else subject_ids[c.subject or c.name],
        "schoolSourcedId": school.source_id,
    }  # fmt: skip


def _school_tables(
    school: OrgRow,
    sessions: Sequence[SessionRow],
    courses: Sequence[CourseRow],
    subject_ids: dict[str, str],
    common: dict[str, str],
) -> dict[str, Table]:
    school_id = school.source_id
    return {
        "orgs.csv": [{
            **common, **school.metadata, "sourcedId": school_id, "name": school.name,
            "type": "school", "identifier": school.identifier,
        }],
        "academicSessions.csv": [{
            **common, **s.metadata, "sourcedId": s.source_id, "title": s.title,
            "type": s.type, "startDate": s.starts_on.isoformat(), "endDate": s.ends_on.isoformat(),
            "parentSourcedId": s.parent_source_id,
            "schoolYear": s.school_year or str(s.ends_on.year),
        } for s in sessions],
        "courses.csv": _oneroster_courses(school, courses, subject_ids, common),
        "classes.csv": [_class_row(school, c, subject_ids, common) for c in courses],
    }  # fmt: skip


def _people_tables(
    school: OrgRow,
    courses: Sequence[CourseRow],
    people: Sequence[PersonRow],
    enrollments: Sequence[EnrollmentRow],
    common: dict[str, str],
) -> dict[str, Table]:
    school_id = school.source_id
    course_by_code = {course.code: course.source_id for course in courses}
    children: defaultdict[str, list[str]] = defaultdict(list)
    for person in people:
        if "student" in person.roles:
            for guardian_id in person.guardian_source_ids:
                children[guardian_id].append(person.source_id)

    def class_of(enrollment: EnrollmentRow) -> str:
        class_id = enrollment.course_source_id or course_by_code.get(enrollment.course_code or "")
        if class_id is None:
            raise ValueError(f"enrollment {enrollment.source_id!r}: its course is not given")
        return class_id

    return {
        "users.csv": [_user_row(school_id, p, children, common) for p in people],
        "roles.csv": [{
            **common, "sourcedId": f"{p.source_id}-role" + (f"-{n + 1}" if n else ""),
            "roleType": "secondary" if n else "primary",
            **p.oneroster.get("roles", {}).get(role, {}),
            "userSourcedId": p.source_id, "role": ONEROSTER_ROLE_BY_PERSON_ROLE[role],
            "orgSourcedId": school_id,
        } for p in people for n, role in enumerate(p.roles)],
        "enrollments.csv": [{
            **common, "sourcedId": e.source_id, "classSourcedId": class_of(e),
            "schoolSourcedId": school_id, "userSourcedId": e.person_source_id,
            "role": ONEROSTER_ENROLLMENT[e.role][0], "primary": ONEROSTER_ENROLLMENT[e.role][1],
            **({k: v for k, v in e.oneroster.items() if e.role != "assistant" or k != "primary"}),
            ENROLLMENT_ROLE_COLUMN: ONEROSTER_ENROLLMENT[e.role][2],
        } for e in enrollments],
        "demographics.csv": [{
            **common, **p.oneroster.get("demographics", {}), "sourcedId": p.source_id,
            "birthDate": p.birth_date.isoformat() if p.birth_date else "",
        } for p in people if p.birth_date is not None or "demographics" in p.oneroster],
    }  # fmt: skip


def _user_row(school_id: str, p: PersonRow, children: dict[str, list[str]], common: Row) -> Row:
    """users.csv: what Rostra holds, with every field the import kept given back as it came."""
    given, family = split_name(p.display_name)
    kept = p.oneroster
    user = dict(kept.get("user", {}))
    as_read = display_name(
        user.get("preferredGivenName") or user.get("givenName", ""),
        user.get("preferredFamilyName") or user.get("familyName", ""),
    )
    if as_read != p.display_name:  # renamed in Rostra since: the new name, not the file's
        for column in NAME_COLUMNS:
            user.pop(column, None)
    phones = {"phone": p.phone} if kept.get("phone_column") == "phone" else {"sms": p.phone}
    if kept.get("phone"):
        phones["phone"] = kept["phone"]
    agents = p.guardian_source_ids if "student" in p.roles else children.get(p.source_id, [])
    return {
        **common, "enabledUser": "true", "username": p.source_id, "givenName": given,
        "familyName": family, "primaryOrgSourcedId": school_id, **user,
        "sourcedId": p.source_id, **phones, "agentSourcedIds": ",".join(agents),
        AGE_BAND_COLUMN: p.age_band or "",
    }  # fmt: skip


def _zip(files: dict[str, Table], stamp_at: datetime) -> bytes:
    """The manifest and the tables, deflated, with a fixed time per entry."""
    manifest = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.2"},
        {"propertyName": "source.systemName", "value": "Rostra"},
    ] + [
        {"propertyName": f"file.{name}", "value": "bulk" if f"{name}.csv" in files else "absent"}
        for name in MANIFEST_FILES
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        contents = {"manifest.csv": _csv_bytes(("propertyName", "value"), manifest)}
        contents.update(
            (name, _csv_bytes(COLUMNS[name] + _extensions(name, rows), rows))
            for name, rows in files.items()
        )
        for name, content in contents.items():
            # A fixed timestamp per entry keeps the zip byte-for-byte reproducible.
            info = zipfile.ZipInfo(name, date_time=stamp_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _extensions(name: str, rows: Table) -> tuple[str, ...]:
    """The `metadata.*` extension columns the file's rows carry, after the standard's, sorted
    (so an export read back and written again has the same header)."""
    found = {column for row in rows for column in row if column.startswith(METADATA_PREFIX)}
    return tuple(sorted(found.difference(COLUMNS[name])))


def _csv_bytes(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> bytes:
    """A table through the one CSV writer (formula cells neutralised; the reader restores them)."""
    return csvout.render(columns, rows, bom=False).encode("utf-8")
