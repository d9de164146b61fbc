"""Roster files in and out: OneRoster 1.2 CSV zips and the one-sheet `roster.csv`.

Pure: bytes in, plain dataclasses out (and back). Bad input never raises; every problem
becomes a `RowError` naming the file, the 1-based physical line and the column, and the
row it belongs to is left out of the result.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import unicodedata
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

Kind = Literal["oneroster", "csv"]
FileMode = Literal["bulk", "delta"]
Status = Literal["active", "tobedeleted"]
PersonRole = Literal["teacher", "assistant", "student", "guardian"]
EnrollmentRole = Literal["teacher", "assistant", "student"]
AgeBand = Literal["under14", "14to17", "adult"]
Reference = Literal["accepted", "rejected", "unknown", "outside"]

ZIP_NAME = "roster.zip"
SIMPLE_CSV_NAME = "roster.csv"
MAX_FILE_BYTES = 256 * 2**20


@dataclass(slots=True)
class RowError:
    file: str
    line: int
    column: str | None
    message: str


@dataclass(slots=True)
class OrgRow:
    source_id: str
    name: str
    identifier: str = ""
    status: Status = "active"


@dataclass(slots=True)
class SessionRow:
    """A term (OneRoster academicSession) that courses run in."""

    source_id: str
    title: str
    starts_on: date
    ends_on: date
    type: str = "term"
    school_year: str = ""
    status: Status = "active"


@dataclass(slots=True)
class CourseRow:
    """One course the school teaches: a OneRoster *class*.

    `subject`, `term`, `starts_on` and `ends_on` are None only in a delta file that does
    not carry the course or term the class points at (the caller keeps what it has).
    """

    source_id: str
    code: str
    name: str
    subject: str | None
    term_source_id: str
    term: str | None
    starts_on: date | None
    ends_on: date | None
    status: Status = "active"


@dataclass(slots=True)
class PersonRow:
    """A person on the roster, known by phone.

    `role` is None only in a delta file whose roles.csv does not mention the person.
    In `roster.csv` the source ids are the phone number without formatting.
    """

    source_id: str
    phone: str
    display_name: str
    role: PersonRole | None
    birth_date: date | None = None
    age_band: AgeBand | None = None
    guardian_source_ids: list[str] = field(default_factory=list)
    status: Status = "active"


@dataclass(slots=True)
class EnrollmentRow:
    """A person in a course; `roster.csv` names the course by `course_code` instead."""

    source_id: str
    course_source_id: str | None
    person_source_id: str
    role: EnrollmentRole
    status: Status = "active"
    course_code: str | None = None


@dataclass(slots=True)
class RosterFile:
    kind: Kind
    mode: dict[str, FileMode] = field(default_factory=dict)
    school: OrgRow | None = None
    sessions: list[SessionRow] = field(default_factory=list)
    courses: list[CourseRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    enrollments: list[EnrollmentRow] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class Table:
    """A CSV file read into rows of (first physical line, {wanted column: value})."""

    columns: frozenset[str] = frozenset()
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def age_band(birth_date: date, today: date) -> AgeBand:
    """The consent band: under 14 means the 14th birthday has not come yet."""
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    age = today.year - birth_date.year - (0 if had_birthday else 1)
    if age < 14:
        return "under14"
    if age < 18:
        return "14to17"
    return "adult"


# The OneRoster 1.2 CSV binding's columns for the files a roster needs.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs.csv": (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ),
    "academicSessions.csv": (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ),
    "courses.csv": (
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
        "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes",
    ),
    "classes.csv": (
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
        "subjects", "subjectCodes", "periods",
    ),
    "users.csv": (
        "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password", "userMasterIdentifier",
        "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
        "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
    ),
    "roles.csv": (
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
        "orgSourcedId", "userProfileSourcedId", "beginDate", "endDate",
    ),
    "enrollments.csv": (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ),
    "demographics.csv": (
        "sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}  # fmt: skip

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "name", "type"),
    "academicSessions.csv": ("sourcedId", "title", "startDate", "endDate"),
    "courses.csv": ("sourcedId", "title"),
    "classes.csv": ("sourcedId", "title", "courseSourcedId", "classCode", "termSourcedIds"),
    "users.csv": ("sourcedId", "givenName", "familyName"),
    "roles.csv": ("sourcedId", "userSourcedId", "role", "orgSourcedId"),
    "enrollments.csv": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "demographics.csv": ("sourcedId", "birthDate"),
}
OPTIONAL_FILES = frozenset({"demographics.csv"})

# Every file a 1.2 manifest names; the ones this module does not write are "absent".
MANIFEST_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses",
    "courseResources", "demographics", "enrollments", "lineItemLearningObjectiveIds",
    "lineItems", "lineItemScoreScales", "orgs", "resources", "resultLearningObjectiveIds",
    "results", "resultScoreScales", "roles", "scoreScales", "userProfiles", "userResources",
    "users",
)  # fmt: skip

# The widths of the columns the caller stores these in (roster and accounts models).
MAX_LENGTHS = {"code": 64, "name": 200, "subject": 100, "term": 100, "display_name": 200}

PERSON_ROLE_BY_ONEROSTER: dict[str, PersonRole] = {
    "teacher": "teacher",
    "aide": "assistant",
    "student": "student",
    "parent": "guardian",
    "guardian": "guardian",
    "relative": "guardian",
}
ENROLLMENT_ROLE_BY_ONEROSTER: dict[str, EnrollmentRole] = {
    "teacher": "teacher",
    "aide": "assistant",
    "student": "student",
}
ONEROSTER_ROLE_BY_PERSON_ROLE = {
    "teacher": "teacher",
    "assistant": "aide",
    "student": "student",
    "guardian": "parent",
}
ENROLLMENT_ROLE_BY_PERSON_ROLE: dict[str, EnrollmentRole] = {
    "teacher": "teacher",
    "assistant": "assistant",
    "student": "student",
}
PERSON_ROLES: dict[str, PersonRole] = {role: role for role in PERSON_ROLE_BY_ONEROSTER.values()}
AGE_BANDS: dict[str, AgeBand] = {"under14": "under14", "14to17": "14to17", "adult": "adult"}
STATUSES: dict[str, Status] = {"": "active", "active": "active", "tobedeleted": "tobedeleted"}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?[0-9]{5,15}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


# --- reading helpers shared by both formats -----------------------------------------------


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GB18030, which Excel in China writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
    return None


def read_table(
    file: str,
    data: bytes,
    columns: Sequence[str],
    required: Sequence[str],
    errors: list[RowError],
    *,
    fold_case: bool = False,
) -> Table:
    """The wanted columns of every row; columns absent from the header read as empty."""
    text = decode_text(data)
    if text is None:
        errors.append(RowError(file, 1, None, "the file is neither UTF-8 nor GB18030 text"))
        return Table()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: Table | None = None
    pick: operator.itemgetter[Any] = operator.itemgetter(0, 0)
    width = last_line = 0
    while True:
        line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            last_line = reader.line_num
            errors.append(RowError(file, line, None, f"malformed CSV: {exc}"))
            if table is None:
                return Table()
            continue
        last_line = reader.line_num
        if not "".join(fields).strip():
            continue
        if table is None:
            header = [name.strip().lower() if fold_case else name.strip() for name in fields]
            if not _header_ok(file, line, header, required, errors):
                return Table()
            table, width = Table(frozenset(header)), len(header)
            # A column the header lacks reads the empty field padded on after the last one;
            # the trailing extra index keeps itemgetter returning a tuple for one column.
            indices = [header.index(name) if name in header else width for name in columns]
            pick = operator.itemgetter(*indices, width)
            continue
        if len(fields) > width and "".join(fields[width:]).strip():
            message = f"the row has {len(fields)} fields but the header has {width}"
            errors.append(RowError(file, line, None, message))
            continue
        padded = fields + [""] * (width + 1 - len(fields))
        table.rows.append((line, dict(zip(columns, map(str.strip, pick(padded)), strict=False))))
    if table is None:
        errors.append(RowError(file, 1, None, "the file is empty: a header row is required"))
        return Table()
    return table


def _header_ok(
    file: str, line: int, header: list[str], required: Sequence[str], errors: list[RowError]
) -> bool:
    ok = True
    for name, count in Counter(header).items():
        if name and count > 1:
            errors.append(RowError(file, line, name, f"column {name!r} appears {count} times"))
            ok = False
    for name in required:
        if name not in header:
            errors.append(RowError(file, line, name, f"required column {name!r} is missing"))
            ok = False
    return ok


def phone_key(raw: str) -> str | None:
    """Digits for spotting duplicates: punctuation and a +86 / 0086 / 86 prefix removed.

    Deliberately simple; the caller normalises to E.164 with `phonenumbers`.
    """
    digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE.fullmatch(digits) else None


def parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def display_name(given: str, family: str) -> str:
    """Chinese names read family name first with no space; others given name first."""
    given, family = " ".join(given.split()), " ".join(family.split())
    if _CJK.search(given + family):
        return f"{family}{given}"
    return f"{given} {family}".strip()


def split_name(name: str) -> tuple[str, str]:
    """(given, family) such that `display_name(*split_name(n)) == n` for a tidy name."""
    has_cjk = _CJK.search(name) is not None
    if has_cjk and " " not in name and len(name) > 1:
        # One-character family names are the common case; compound ones still join back.
        return name[1:], name[0]
    if not has_cjk and " " in name:
        given, family = name.rsplit(" ", 1)
        return given, family
    return name, ""


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _too_long(value: str, what: str) -> str | None:
    limit = MAX_LENGTHS[what]
    return f"longer than {limit} characters" if len(value) > limit else None


def parse_roster_file(data: bytes) -> RosterFile:
    """A zip is read as OneRoster; anything else as `roster.csv`."""
    if data[:4] == b"PK\x03\x04":
        return parse_oneroster(data)
    return parse_simple_csv(data)


# --- OneRoster 1.2 CSV zip ----------------------------------------------------------------


def parse_oneroster(data: bytes, *, today: date | None = None) -> RosterFile:
    """Read a OneRoster 1.2 CSV zip.

    With `today`, people with a birth date get an age band, and a student under 14
    without a guardian (agentSourcedIds) is an error, as in `roster.csv`.
    """
    out = RosterFile(kind="oneroster")
    files = _unzip(data, out)
    if files is None:
        return out
    declared = _read_manifest(files, out)
    tables = _read_tables(files, declared, out)
    _OneRosterReader(out, tables, today).read()
    return out


def _unzip(data: bytes, out: RosterFile) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        out.errors.append(RowError(ZIP_NAME, 1, None, "not a zip file"))
        return None
    files: dict[str, bytes] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            # Folders and the litter of desktop zip tools are not roster files.
            if info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith("."):
                continue
            if name in files:
                out.errors.append(RowError(name, 1, None, "the zip holds this file twice"))
            elif info.file_size > MAX_FILE_BYTES:
                message = f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB unpacked"
                out.errors.append(RowError(name, 1, None, message))
            else:
                try:
                    files[name] = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as e:
                    out.errors.append(RowError(name, 1, None, f"cannot unpack the file: {e}"))
    return files


def _read_manifest(files: dict[str, bytes], out: RosterFile) -> dict[str, str]:
    """File name -> bulk | delta | absent, as manifest.csv declares it."""
    if "manifest.csv" not in files:
        out.errors.append(RowError("manifest.csv", 1, None, "manifest.csv is missing"))
        return {name: "bulk" for name in COLUMNS if name in files}
    columns = ("propertyName", "value")
    table = read_table("manifest.csv", files["manifest.csv"], columns, columns, out.errors)
    declared: dict[str, str] = {}
    version_seen = False
    for line, row in table.rows:
        prop, value = row["propertyName"], row["value"]
        if prop == "oneroster.version":
            version_seen = True
            if value != "1.2":
                message = f"only OneRoster 1.2 is supported, this file says {value!r}"
                out.errors.append(RowError("manifest.csv", line, "value", message))
        elif prop.startswith("file."):
            if value in ("bulk", "delta", "absent"):
                declared[f"{prop.removeprefix('file.')}.csv"] = value
            else:
                message = f"{prop} must be bulk, delta or absent, not {value!r}"
                out.errors.append(RowError("manifest.csv", line, "value", message))
    if table.rows and not version_seen:
        out.errors.append(RowError("manifest.csv", 1, None, "oneroster.version is missing"))
    return declared


def _read_tables(
    files: dict[str, bytes], declared: dict[str, str], out: RosterFile
) -> dict[str, Table]:
    for name in files:
        if name == "manifest.csv":
            continue
        if name not in COLUMNS:
            out.notices.append(f"ignored file {name!r}")
        elif declared.get(name, "absent") == "absent":
            out.notices.append(f"ignored file {name!r} (manifest.csv says absent)")
    for name, mode in declared.items():
        if name in COLUMNS and mode != "absent":
            out.mode[name] = "delta" if mode == "delta" else "bulk"
    is_delta = "delta" in out.mode.values()
    tables: dict[str, Table] = {}
    for name in COLUMNS:
        if name not in out.mode:
            if not is_delta and name not in OPTIONAL_FILES:
                out.errors.append(RowError(name, 1, None, "a bulk roster needs this file"))
        elif name not in files:
            message = f"manifest.csv lists this file as {out.mode[name]} but it is not in the zip"
            out.errors.append(RowError(name, 1, None, message))
        else:
            required = REQUIRED_COLUMNS[name]
            tables[name] = read_table(name, files[name], COLUMNS[name], required, out.errors)
    return tables


class _OneRosterReader:
    """Reads the tables in reference order: orgs, terms, courses, classes, people, links.

    A reference to a row missing from the file is an error when the referenced file is
    bulk; in a delta it may name something the school already has, so it passes. A
    reference to a row that is in the file but was rejected drops quietly: that row's
    own error already says why.
    """

    def __init__(self, out: RosterFile, tables: dict[str, Table], today: date | None) -> None:
        self.out = out
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
        self.read_users()
        self.read_roles()
        self.read_demographics()
        self.settle_people()
        self.read_enrollments()
        self.out.sessions = list(self.sessions.values())
        self.out.courses = list(self.courses.values())
        self.out.people = list(self.people.values())

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
        others = 0
        for line, row, status in self.records("orgs.csv"):
            if row["type"] != "school":
                others += 1
            elif self.out.school is not None:
                message = (
                    f"more than one school org ({self.out.school.source_id!r} and "
                    f"{row['sourcedId']!r}); send one school per file"
                )
                self.error("orgs.csv", line, "type", message)
            else:
                self.out.school = OrgRow(row["sourcedId"], row["name"], row["identifier"], status)
        if others:
            self.out.notices.append(f"ignored {others} orgs that are not the school")
        if self.out.school is None and self.out.mode.get("orgs.csv") == "bulk":
            self.error("orgs.csv", 1, "type", "no org has type 'school'")

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
            code, name, course_id = row["classCode"], row["title"], row["courseSourcedId"]
            term_id = next(iter(_split_list(row["termSourcedIds"])), "")
            course = self.reference("courses.csv", course_id, self.subjects)
            term = self.reference("academicSessions.csv", term_id, self.sessions)
            problems = [("title", "title is empty" if not name else _too_long(name, "name"))]
            if not code:
                problems.append(("classCode", "classCode is empty: every class needs a code"))
            elif code in code_lines:
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
            )

    def read_users(self) -> None:
        file = "users.csv"
        table = self.tables.get(file)
        if table is not None and table.rows and not {"sms", "phone"} & table.columns:
            self.error(file, 1, "sms", "required column 'sms' (or 'phone') is missing")
            return
        phone_lines: dict[str, int] = {}
        for line, row, status in self.records(file):
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
                guardian_source_ids=_split_list(row["agentSourcedIds"]),
                status=status,
            )
            self.person_lines[row["sourcedId"]] = line

    def read_roles(self) -> None:
        file = "roles.csv"
        school = self.out.school
        other_org = outside = 0
        for line, row, status in self.records(file):
            org_id, user_id = row["orgSourcedId"], row["userSourcedId"]
            if school is not None and org_id != school.source_id:
                if self.reference("orgs.csv", org_id, ()) == "unknown":
                    self.error(file, line, "orgSourcedId", f"unknown org {org_id!r}")
                else:
                    other_org += 1
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
        if other_org:
            self.out.notices.append(f"ignored {other_org} roles at orgs other than the school")
        if outside:
            self.out.notices.append(f"ignored {outside} roles of users not in users.csv")

    def read_demographics(self) -> None:
        file = "demographics.csv"
        outside = 0
        for line, row, _status in self.records(file):
            user_id = row["sourcedId"]
            user = self.reference("users.csv", user_id, self.people)
            if user == "unknown":
                self.error(file, line, "sourcedId", f"unknown user {user_id!r}")
            elif user == "outside":
                outside += 1
            if user != "accepted" or not row["birthDate"]:
                continue
            born = parse_date(row["birthDate"])
            if born is None:
                message = f"birthDate must be a date as YYYY-MM-DD, not {row['birthDate']!r}"
                self.error(file, line, "birthDate", message)
            else:
                self.people[user_id].birth_date = born
        if outside:
            self.out.notices.append(f"ignored {outside} demographics of users not in users.csv")

    def settle_people(self) -> None:
        """Drop people without a usable role, then check guardians and age bands."""
        roles_are_bulk = self.out.mode.get("roles.csv") == "bulk"
        skipped: Counter[str] = Counter()
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
            course = self.reference("classes.csv", class_id, self.courses)
            person = self.reference("users.csv", user_id, self.people)
            if course == "unknown":
                self.error(file, line, "classSourcedId", f"unknown class {class_id!r}")
            if person == "unknown":
                self.error(file, line, "userSourcedId", f"unknown user {user_id!r}")
            if course in ("unknown", "rejected") or person in ("unknown", "rejected"):
                continue
            role = ENROLLMENT_ROLE_BY_ONEROSTER.get(row["role"])
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
                EnrollmentRow(row["sourcedId"], class_id, user_id, role, status)
            )
        for role_name, count in sorted(skipped.items()):
            self.out.notices.append(f"skipped {count} enrollments with role {role_name!r}")


# --- roster.csv: one sheet, one row per person and course ---------------------------------

SIMPLE_COLUMNS = ("phone", "name", "role", "course_code", "age_band", "guardian_phone")
SIMPLE_REQUIRED = ("phone", "name", "role")


def parse_simple_csv(data: bytes) -> RosterFile:
    """Read `roster.csv`: phone,name,role,course_code,age_band[,guardian_phone].

    A person in several courses has one row per course, each with the same name and role.
    """
    file = SIMPLE_CSV_NAME
    out = RosterFile(kind="csv", mode={file: "bulk"})
    table = read_table(file, data, SIMPLE_COLUMNS, SIMPLE_REQUIRED, out.errors, fold_case=True)
    people: dict[str, tuple[int, PersonRow, set[str]]] = {}
    for line, row in table.rows:
        problems = _simple_row_problems(row)
        key = phone_key(row["phone"]) or ""
        name, code = " ".join(row["name"].split()), row["course_code"]
        role, band = PERSON_ROLES.get(row["role"].lower()), AGE_BANDS.get(row["age_band"])
        seen = people.get(key)
        if seen is not None and not problems:
            first_line, person, codes = seen
            if (person.role, person.display_name, person.age_band) != (role, name, band):
                message = f"another name, role or age_band for this phone on line {first_line}"
                problems.append(("phone", message))
            elif code in codes:
                message = f"this phone and course_code {code!r} are already on line {first_line}"
                problems.append(("phone", message))
        for column, message in problems:
            out.errors.append(RowError(file, line, column, message))
        if problems or role is None:
            continue
        guardian = phone_key(row["guardian_phone"]) if row["guardian_phone"] else None
        if seen is None:
            person = PersonRow(key, row["phone"], name, role, age_band=band)
            seen = people[key] = (line, person, set())
            out.people.append(person)
        if guardian and guardian not in seen[1].guardian_source_ids:
            seen[1].guardian_source_ids.append(guardian)
        seen[2].add(code)
        enrollment_role = ENROLLMENT_ROLE_BY_PERSON_ROLE.get(role)
        if code and enrollment_role:
            out.enrollments.append(
                EnrollmentRow(f"{key}:{code}", None, key, enrollment_role, course_code=code)
            )
    return out


def _simple_row_problems(row: dict[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str | None]] = []
    phone, guardian_phone = row["phone"], row["guardian_phone"]
    key = phone_key(phone)
    if not phone:
        problems.append(("phone", "a phone number is required"))
    elif key is None:
        problems.append(("phone", f"{phone!r} is not a phone number"))
    name = " ".join(row["name"].split())
    problems.append(("name", "a name is required" if not name else _too_long(name, "display_name")))
    role = PERSON_ROLES.get(row["role"].lower())
    if role is None:
        message = f"role must be teacher, assistant, student or guardian, not {row['role']!r}"
        problems.append(("role", message))
    if row["age_band"] and row["age_band"] not in AGE_BANDS:
        message = f"age_band must be under14, 14to17, adult or empty, not {row['age_band']!r}"
        problems.append(("age_band", message))
    if guardian_phone and phone_key(guardian_phone) is None:
        problems.append(("guardian_phone", f"{guardian_phone!r} is not a phone number"))
    elif guardian_phone and phone_key(guardian_phone) == key:
        problems.append(("guardian_phone", "guardian_phone is the person's own phone"))
    if role == "student" and row["age_band"] == "under14" and not guardian_phone:
        problems.append(("guardian_phone", "a student under 14 needs guardian_phone"))
    if role == "guardian" and row["course_code"]:
        problems.append(("course_code", "a guardian is not enrolled in courses"))
    elif row["course_code"]:
        problems.append(("course_code", _too_long(row["course_code"], "code")))
    return [(column, message) for column, message in problems if message]


# --- writing OneRoster --------------------------------------------------------------------


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
    stamp = stamp_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    common = {"dateLastModified": stamp}
    school_id = school.source_id
    term_ids = {session.source_id for session in sessions}
    subject_ids: dict[str, str] = {}
    for course in courses:
        if course.term_source_id not in term_ids:
            raise ValueError(f"course {course.code!r}: term {course.term_source_id!r} not given")
        subject_ids.setdefault(
            course.subject or course.name, f"{school_id}-subject-{len(subject_ids) + 1}"
        )
    course_by_code = {course.code: course.source_id for course in courses}
    children: defaultdict[str, list[str]] = defaultdict(list)
    for person in people:
        if person.role == "student":
            for guardian_id in person.guardian_source_ids:
                children[guardian_id].append(person.source_id)

    def class_of(enrollment: EnrollmentRow) -> str:
        class_id = enrollment.course_source_id or course_by_code.get(enrollment.course_code or "")
        if class_id is None:
            raise ValueError(f"enrollment {enrollment.source_id!r}: its course is not given")
        return class_id

    files = {
        "orgs.csv": [{
            **common, "sourcedId": school_id, "status": school.status, "name": school.name,
            "type": "school", "identifier": school.identifier,
        }],
        "academicSessions.csv": [{
            **common, "sourcedId": s.source_id, "status": s.status, "title": s.title,
            "type": s.type, "startDate": s.starts_on.isoformat(), "endDate": s.ends_on.isoformat(),
            "schoolYear": s.school_year or str(s.ends_on.year),
        } for s in sessions],
        "courses.csv": [{
            **common, "sourcedId": course_id, "status": "active", "title": subject,
            "orgSourcedId": school_id,
        } for subject, course_id in subject_ids.items()],
        "classes.csv": [{
            **common, "sourcedId": c.source_id, "status": c.status, "title": c.name,
            "courseSourcedId": subject_ids[c.subject or c.name], "classCode": c.code,
            "classType": "scheduled", "schoolSourcedId": school_id,
            "termSourcedIds": c.term_source_id,
        } for c in courses],
        "users.csv": [{
            **common, "sourcedId": p.source_id, "status": p.status, "enabledUser": "true",
            "username": p.source_id, "givenName": split_name(p.display_name)[0],
            "familyName": split_name(p.display_name)[1], "sms": p.phone,
            "agentSourcedIds": ",".join(
                p.guardian_source_ids if p.role == "student" else children[p.source_id]
            ),
            "primaryOrgSourcedId": school_id,
        } for p in people],
        "roles.csv": [{
            **common, "sourcedId": f"{p.source_id}-role", "status": p.status,
            "userSourcedId": p.source_id, "roleType": "primary",
            "role": ONEROSTER_ROLE_BY_PERSON_ROLE[p.role], "orgSourcedId": school_id,
        } for p in people if p.role is not None],
        "enrollments.csv": [{
            **common, "sourcedId": e.source_id, "status": e.status, "classSourcedId": class_of(e),
            "schoolSourcedId": school_id, "userSourcedId": e.person_source_id,
            "role": ONEROSTER_ROLE_BY_PERSON_ROLE[e.role],
            "primary": "true" if e.role == "teacher" else "false",
        } for e in enrollments],
        "demographics.csv": [{
            **common, "sourcedId": p.source_id, "status": p.status,
            "birthDate": p.birth_date.isoformat(),
        } for p in people if p.birth_date is not None],
    }  # fmt: skip
    if not files["demographics.csv"]:
        del files["demographics.csv"]
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
        contents.update((name, _csv_bytes(COLUMNS[name], rows)) for name, rows in files.items())
        for name, content in contents.items():
            # A fixed timestamp per entry keeps the zip byte-for-byte reproducible.
            info = zipfile.ZipInfo(name, date_time=stamp_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _csv_bytes(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return text.getvalue().encode("utf-8")
