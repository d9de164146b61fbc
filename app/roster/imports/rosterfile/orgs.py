"""OneRoster's school side: orgs (this school's, a district's others), terms, courses, classes."""

from __future__ import annotations

from typing import Any

from app.roster.imports.rosterfile.reader import OneRosterReader
from app.roster.imports.rosterfile.reading import _split_list, _too_long, parse_date
from app.roster.imports.rosterfile.rows import (
    KEPT_CLASS,
    KEPT_COURSE,
    CourseRow,
    OrgRow,
    SessionRow,
    Status,
)


def read_orgs(r: OneRosterReader) -> None:
    if r.orgs:
        read_district_orgs(r)
        return
    others = 0
    for line, row, status in r.records("orgs.csv"):
        if row["type"] != "school":
            others += 1
        elif r.out.school is not None:
            message = (
                f"more than one school org ({r.out.school.source_id!r} and "
                f"{row['sourcedId']!r}): name this school's orgs in its tenant file "
                "([oneroster] orgs) to import a district's file"
            )
            r.error("orgs.csv", line, "type", message)
        else:
            r.out.school = _school(r, row, status)
    if others:
        r.out.notices.append(f"ignored {others} orgs that are not the school")
    if r.out.school is None and r.out.mode.get("orgs.csv") == "bulk":
        r.error("orgs.csv", 1, "type", "no org has type 'school'")
    if r.out.school is not None:
        r.orgs = {r.out.school.source_id}


def _school(r: OneRosterReader, row: dict[str, str], status: Status) -> OrgRow:
    metadata = r.kept("orgs.csv", row, ())
    return OrgRow(row["sourcedId"], row["name"], row["identifier"], status, metadata)


def read_district_orgs(r: OneRosterReader) -> None:
    """A district's file: the tenant file names this school's orgs; the rest are others'."""
    for _line, row, status in r.records("orgs.csv"):
        if row["sourcedId"] not in r.orgs:
            r.not_this_school("orgs.csv")
        elif r.out.school is None or row["type"] == "school":
            r.out.school = _school(r, row, status)
    if r.out.school is None and r.out.mode.get("orgs.csv") == "bulk":
        message = f"none of this school's orgs ({', '.join(sorted(r.orgs))}) is in the file"
        r.error("orgs.csv", 1, "sourcedId", message)


def read_sessions(r: OneRosterReader) -> None:
    file = "academicSessions.csv"
    for line, row, status in r.records(file):
        starts_on, ends_on = parse_date(row["startDate"]), parse_date(row["endDate"])
        for column, value in (("startDate", starts_on), ("endDate", ends_on)):
            if value is None:
                message = f"{column} must be a date as YYYY-MM-DD, not {row[column]!r}"
                r.error(file, line, column, message)
        if starts_on is None or ends_on is None:
            continue
        if ends_on < starts_on:
            r.error(file, line, "endDate", "endDate is before startDate")
        elif problem := _too_long(row["title"], "term"):
            r.error(file, line, "title", problem)
        else:
            r.sessions[row["sourcedId"]] = SessionRow(
                row["sourcedId"],
                row["title"],
                starts_on,
                ends_on,
                type=row["type"] or "term",
                school_year=row["schoolYear"],
                status=status,
                parent_source_id=row["parentSourcedId"],
                metadata=r.kept(file, row, ()),
            )


def read_oneroster_courses(r: OneRosterReader) -> None:
    for line, row, _status in r.records("courses.csv"):
        subjects = _split_list(row["subjects"])
        subject = row["title"] or (subjects[0] if subjects else "")
        problem = "title is empty" if not subject else _too_long(subject, "subject")
        if problem:
            r.error("courses.csv", line, "title", problem)
        else:
            r.subjects[row["sourcedId"]] = subject
            r.course_rows[row["sourcedId"]] = r.kept("courses.csv", row, KEPT_COURSE)


def read_classes(r: OneRosterReader) -> None:
    file = "classes.csv"
    code_lines: dict[str, int] = {}
    for line, row, status in r.records(file):
        if row["schoolSourcedId"] and not r.ours_org(row["schoolSourcedId"]):
            r.other_classes.add(row["sourcedId"])
            r.not_this_school(file)
            continue
        # classCode is optional in the standard: a class without one goes by its sourcedId.
        code = row["classCode"] or row["sourcedId"][:64]
        name, course_id = row["title"], row["courseSourcedId"]
        term_id = next(iter(_split_list(row["termSourcedIds"])), "")
        course = r.reference("courses.csv", course_id, r.subjects)
        term = r.reference("academicSessions.csv", term_id, r.sessions)
        problems = [("title", "title is empty" if not name else _too_long(name, "name"))]
        if code in code_lines:
            message = f"classCode {code!r} is already used on line {code_lines[code]}"
            problems.append(("classCode", message))
        else:
            problems.append(("classCode", _too_long(code, "code")))
        if course == "unknown":
            problems.append(("courseSourcedId", f"unknown course {course_id!r}"))
        if not term_id:
            problems.append(("termSourcedIds", "termSourcedIds is empty"))
        elif term == "unknown":
            problems.append(("termSourcedIds", f"unknown term {term_id!r}"))
        if r.report(file, line, problems):
            continue
        if "rejected" in (course, term):
            column, ref = ("courseSourcedId", course_id)
            if term == "rejected":
                column, ref = ("termSourcedIds", term_id)
            r.dependent(file, line, column, f"skipped with {ref!r}, which is in error")
            continue
        code_lines[code] = line
        session = r.sessions.get(term_id)
        r.courses[row["sourcedId"]] = CourseRow(
            source_id=row["sourcedId"],
            code=code,
            name=name,
            subject=r.subjects.get(course_id),
            term_source_id=term_id,
            term=session.title if session else None,
            starts_on=session.starts_on if session else None,
            ends_on=session.ends_on if session else None,
            status=status,
            line=line,
            oneroster=_class_kept(r, row),
        )


def _class_kept(r: OneRosterReader, row: dict[str, str]) -> dict[str, Any]:
    """The class's own fields, its OneRoster course and every term, to give them back."""
    out: dict[str, Any] = {"class": r.kept("classes.csv", row, KEPT_CLASS)}
    if course := r.course_rows.get(row["courseSourcedId"]):
        out["course"] = course
    terms = [r.sessions[t] for t in _split_list(row["termSourcedIds"]) if t in r.sessions]
    if terms:
        out["terms"] = [
            {
                "sourcedId": t.source_id, "title": t.title, "type": t.type,
                "startDate": t.starts_on.isoformat(), "endDate": t.ends_on.isoformat(),
                "schoolYear": t.school_year, "parentSourcedId": t.parent_source_id,
                **t.metadata,
            }
            for t in terms
        ]  # fmt: skip
    return out
