"""OneRoster 1.2 CSV zips: the reader that ties the tables together, in reference order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterator
from datetime import date

from app.roster.imports.rosterfile.archive import read_manifest, read_tables, unzip
from app.roster.imports.rosterfile.reading import (
    _split_list,
    _too_long,
    display_name,
    parse_date,
    phone_key,
)
from app.roster.imports.rosterfile.rows import (
    AGE_BAND_COLUMN,
    AGE_BANDS,
    COLUMNS,
    ENROLLMENT_ROLE_BY_ONEROSTER,
    ENROLLMENT_ROLE_COLUMN,
    PERSON_ROLE_BY_ONEROSTER,
    STATUSES,
    VERSIONS,
    ArchiveLimits,
    CourseRow,
    EnrollmentRow,
    OrgRow,
    PersonRow,
    Reference,
    RosterFile,
    RowError,
    SessionRow,
    Status,
    Table,
    age_band,
)

# --- OneRoster 1.2 CSV zip ----------------------------------------------------------------


def parse_oneroster(
    data: bytes,
    *,
    today: date | None = None,
    limits: ArchiveLimits | None = None,
    orgs: frozenset[str] = frozenset(),
) -> RosterFile:
    """Read a OneRoster 1.2 CSV zip.

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
    tables = read_tables(files, declared, out)
    _OneRosterReader(out, tables, today, orgs).read()
    return out


class _OneRosterReader:
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
        self.courses: dict[str, CourseRow] = {}
        self.people: dict[str, PersonRow] = {}
        self.person_lines: dict[str, int] = {}
        self.primary_role: set[str] = set()
        self.unmapped_role: dict[str, str] = {}

    def read(self) -> None:
        self.read_orgs()
        self.read_sessions()
        self.read_oneroster_courses()
        self.read_classes()
        self.ours, self.theirs = self.users_by_org()
        self.read_users()
        self.read_roles()
        self.read_demographics()
        self.settle_people()
        self.read_enrollments()
        self.out.sessions = list(self.sessions.values())
        self.out.courses = list(self.courses.values())
        self.out.people = list(self.people.values())
        self.out.not_this_school = {k: v for k, v in sorted(self.elsewhere_count.items()) if v}

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

    def reference(self, file: str, ref: str, accepted: Container[str]) -> Reference:
        if ref in accepted:
            return "accepted"
        if ref in self.present[file]:
            return "rejected"
        return "unknown" if self.out.mode.get(file) == "bulk" else "outside"

    def read_orgs(self) -> None:
        if self.orgs:
            self.read_district_orgs()
            return
        others = 0
        for line, row, status in self.records("orgs.csv"):
            if row["type"] != "school":
                others += 1
            elif self.out.school is not None:
                message = (
                    f"more than one school org ({self.out.school.source_id!r} and "
                    f"{row['sourcedId']!r}): name this school's orgs in its tenant file "
                    "([oneroster] orgs) to import a district's file"
                )
                self.error("orgs.csv", line, "type", message)
            else:
                self.out.school = OrgRow(row["sourcedId"], row["name"], row["identifier"], status)
        if others:
            self.out.notices.append(f"ignored {others} orgs that are not the school")
        if self.out.school is None and self.out.mode.get("orgs.csv") == "bulk":
            self.error("orgs.csv", 1, "type", "no org has type 'school'")
        if self.out.school is not None:
            self.orgs = {self.out.school.source_id}

    def read_district_orgs(self) -> None:
        """A district's file: the tenant file names this school's orgs; the rest are others'."""
        for _line, row, status in self.records("orgs.csv"):
            if row["sourcedId"] not in self.orgs:
                self.not_this_school("orgs.csv")
            elif self.out.school is None or row["type"] == "school":
                self.out.school = OrgRow(row["sourcedId"], row["name"], row["identifier"], status)
        if self.out.school is None and self.out.mode.get("orgs.csv") == "bulk":
            message = f"none of this school's orgs ({', '.join(sorted(self.orgs))}) is in the file"
            self.error("orgs.csv", 1, "sourcedId", message)

    def read_sessions(self) -> None:
        file = "academicSessions.csv"
        for line, row, status in self.records(file):
            starts_on, ends_on = parse_date(row["startDate"]), parse_date(row["endDate"])
            for column, value in (("startDate", starts_on), ("endDate", ends_on)):
                if value is None:
                    message = f"{column} must be a date as YYYY-MM-DD, not {row[column]!r}"
                    self.error(file, line, column, message)
            if starts_on is None or ends_on is None:
                continue
            if ends_on < starts_on:
                self.error(file, line, "endDate", "endDate is before startDate")
            elif problem := _too_long(row["title"], "term"):
                self.error(file, line, "title", problem)
            else:
                self.sessions[row["sourcedId"]] = SessionRow(
                    row["sourcedId"],
                    row["title"],
                    starts_on,
                    ends_on,
                    type=row["type"] or "term",
                    school_year=row["schoolYear"],
                    status=status,
                )

    def read_oneroster_courses(self) -> None:
        for line, row, _status in self.records("courses.csv"):
            subjects = _split_list(row["subjects"])
            subject = row["title"] or (subjects[0] if subjects else "")
            problem = "title is empty" if not subject else _too_long(subject, "subject")
            if problem:
                self.error("courses.csv", line, "title", problem)
            else:
                self.subjects[row["sourcedId"]] = subject

    def read_classes(self) -> None:
        file = "classes.csv"
        code_lines: dict[str, int] = {}
        for line, row, status in self.records(file):
            if row["schoolSourcedId"] and not self.ours_org(row["schoolSourcedId"]):
                self.other_classes.add(row["sourcedId"])
                self.not_this_school(file)
                continue
            # classCode is optional in the standard: a class without one goes by its sourcedId.
            code = row["classCode"] or row["sourcedId"][:64]
            name, course_id = row["title"], row["courseSourcedId"]
            term_id = next(iter(_split_list(row["termSourcedIds"])), "")
            course = self.reference("courses.csv", course_id, self.subjects)
            term = self.reference("academicSessions.csv", term_id, self.sessions)
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
            if self.report(file, line, problems) or "rejected" in (course, term):
                continue
            code_lines[code] = line
            session = self.sessions.get(term_id)
            self.courses[row["sourcedId"]] = CourseRow(
                source_id=row["sourcedId"],
                code=code,
                name=name,
                subject=self.subjects.get(course_id),
                term_source_id=term_id,
                term=session.title if session else None,
                starts_on=session.starts_on if session else None,
                ends_on=session.ends_on if session else None,
                status=status,
                line=line,
            )

    def read_users(self) -> None:
        file = "users.csv"
        table = self.tables.get(file)
        if table is not None and table.rows and not {"sms", "phone"} & table.columns:
            self.error(file, 1, "sms", "required column 'sms' (or 'phone') is missing")
            return
        phone_lines: dict[str, int] = {}
        for line, row, status in self.records(file):
            if self.elsewhere(row):
                self.not_this_school(file)
                continue
            column = "sms" if row["sms"] else "phone"
            phone = row[column]
            key = phone_key(phone)
            given = row["preferredGivenName"] or row["givenName"]
            name = display_name(given, row["preferredFamilyName"] or row["familyName"])
            active = status == "active"
            problems: list[tuple[str, str | None]] = []
            if active and not name:
                problems.append(("givenName", "a name is required (givenName or familyName)"))
            else:
                problems.append(("givenName", _too_long(name, "display_name")))
            if not phone:
                if active:
                    problems.append(("sms", "a phone number is required (sms or phone)"))
            elif key is None:
                problems.append((column, f"{phone!r} is not a phone number"))
            elif active and key in phone_lines:
                problems.append(
                    (column, f"phone {phone} is already used on line {phone_lines[key]}")
                )
            if self.report(file, line, problems):
                continue
            if key and active:
                phone_lines[key] = line
            self.people[row["sourcedId"]] = PersonRow(
                source_id=row["sourcedId"],
                phone=phone,
                display_name=name,
                role=None,
                age_band=AGE_BANDS.get(row[AGE_BAND_COLUMN]),
                guardian_source_ids=_split_list(row["agentSourcedIds"]),
                status=status,
                line=line,
            )
            self.person_lines[row["sourcedId"]] = line
            if self.out.version == "1.1" and active:
                self.user_role_1_1(row)

    def elsewhere(self, row: dict[str, str]) -> bool:
        """A user of other orgs only (1.1: by orgSourcedIds; 1.2: by their roles)."""
        if self.out.version == "1.1":
            orgs = _split_list(row["orgSourcedIds"])
            return bool(orgs) and bool(self.orgs) and not self.orgs.intersection(orgs)
        return row["sourcedId"] in self.theirs

    def user_role_1_1(self, row: dict[str, str]) -> None:
        """OneRoster 1.1 names the role and the orgs in users.csv itself."""
        user_id = row["sourcedId"]
        role = PERSON_ROLE_BY_ONEROSTER.get(row["role"])
        if role is None:
            self.unmapped_role.setdefault(user_id, row["role"])
        else:
            self.people[user_id].role = role

    def read_roles(self) -> None:
        file = "roles.csv"
        outside = 0
        for line, row, status in self.records(file):
            org_id, user_id = row["orgSourcedId"], row["userSourcedId"]
            if not self.ours_org(org_id):
                if self.reference("orgs.csv", org_id, ()) == "unknown":
                    self.error(file, line, "orgSourcedId", f"unknown org {org_id!r}")
                else:
                    self.not_this_school(file)
                continue
            user = self.reference("users.csv", user_id, self.people)
            if user == "unknown":
                self.error(file, line, "userSourcedId", f"unknown user {user_id!r}")
            elif user == "outside":
                outside += 1
            if user != "accepted" or status == "tobedeleted":
                continue
            role = PERSON_ROLE_BY_ONEROSTER.get(row["role"])
            if role is None:
                self.unmapped_role.setdefault(user_id, row["role"])
                continue
            person, is_primary = self.people[user_id], row["roleType"] == "primary"
            if person.role is None or (is_primary and user_id not in self.primary_role):
                person.role = role
                if is_primary:
                    self.primary_role.add(user_id)
        if outside:
            self.out.notices.append(f"ignored {outside} roles of users not in users.csv")

    def read_demographics(self) -> None:
        """Birth dates; in a delta, one of a user not in users.csv is kept for the school's
        own record of them (`birth_dates`)."""
        file = "demographics.csv"
        for line, row, _status in self.records(file):
            user_id = row["sourcedId"]
            user = self.reference("users.csv", user_id, self.people)
            if user == "unknown":
                self.error(file, line, "sourcedId", f"unknown user {user_id!r}")
            column = "birthDate" if row["birthDate"] or self.out.version != "1.1" else "birthdate"
            if user not in ("accepted", "outside") or not row[column]:
                continue
            born = parse_date(row[column])
            if born is None:
                message = f"{column} must be a date as YYYY-MM-DD, not {row[column]!r}"
                self.error(file, line, column, message)
            elif user == "outside":
                self.out.birth_dates[user_id] = (line, born)
            else:
                self.people[user_id].birth_date = born

    def settle_people(self) -> None:
        """Drop people without a usable role, then check guardians and age bands."""
        roles_are_bulk = self.out.mode.get("roles.csv") == "bulk"
        skipped: Counter[str] = Counter()
        if self.out.version == "1.1":  # the role is a users.csv column
            roles_are_bulk = self.out.mode.get("users.csv") == "bulk"
        for source_id, person in list(self.people.items()):
            if person.role is not None:
                continue
            if source_id in self.unmapped_role:
                skipped[self.unmapped_role[source_id]] += 1
            elif roles_are_bulk:
                skipped[""] += 1
            else:
                continue
            del self.people[source_id]
        for role, count in sorted(skipped.items()):
            held = "no role" if role == "" else f"role {role!r}"
            self.out.notices.append(
                f"skipped {count} users with {held} at the school: only teachers, aides, "
                "students and parents/guardians/relatives are imported"
            )
        for source_id, person in list(self.people.items()):
            line = self.person_lines[source_id]
            if person.role not in ("student", None):
                person.guardian_source_ids = []
            problem = None
            kept = []
            for agent in person.guardian_source_ids:
                found = self.reference("users.csv", agent, self.people)
                if found == "unknown":
                    problem = f"unknown guardian {agent!r}"
                elif found != "rejected":
                    kept.append(agent)
            person.guardian_source_ids = kept
            if self.today is not None and person.birth_date is not None:
                person.age_band = age_band(person.birth_date, self.today)
                if (
                    person.role == "student"
                    and person.status == "active"
                    and person.age_band == "under14"
                    and not kept
                ):
                    problem = problem or "a student under 14 needs a guardian (agentSourcedIds)"
            if problem:
                self.error("users.csv", line, "agentSourcedIds", problem)
                del self.people[source_id]

    def read_enrollments(self) -> None:
        file = "enrollments.csv"
        skipped: Counter[str] = Counter()
        pair_lines: dict[tuple[str, str], int] = {}
        for line, row, status in self.records(file):
            class_id, user_id = row["classSourcedId"], row["userSourcedId"]
            school_id = row["schoolSourcedId"]
            if class_id in self.other_classes or (school_id and not self.ours_org(school_id)):
                self.not_this_school(file)
                continue
            course = self.reference("classes.csv", class_id, self.courses)
            person = self.reference("users.csv", user_id, self.people)
            if course == "unknown":
                self.error(file, line, "classSourcedId", f"unknown class {class_id!r}")
            if person == "unknown":
                self.error(file, line, "userSourcedId", f"unknown user {user_id!r}")
            if course in ("unknown", "rejected") or person in ("unknown", "rejected"):
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
                    self.error(file, line, "userSourcedId", message)
                    continue
                pair_lines[(class_id, user_id)] = line
            self.out.enrollments.append(
                EnrollmentRow(row["sourcedId"], class_id, user_id, role, status, line=line)
            )
        for role_name, count in sorted(skipped.items()):
            self.out.notices.append(f"skipped {count} enrollments with role {role_name!r}")
