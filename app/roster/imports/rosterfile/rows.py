"""The rows a roster file holds, and the OneRoster 1.2 columns and codes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Kind = Literal["oneroster", "csv"]
FileMode = Literal["bulk", "delta"]
Status = Literal["active", "tobedeleted"]
PersonRole = Literal["school_admin", "teacher", "assistant", "student", "guardian"]
EnrollmentRole = Literal["teacher", "assistant", "student"]
AgeBand = Literal["under14", "14to17", "adult"]
Reference = Literal["accepted", "rejected", "unknown", "outside"]

ZIP_NAME = "roster.zip"
SIMPLE_CSV_NAME = "roster.csv"
MAX_FILE_BYTES = 256 * 2**20


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What a zip may unpack to: the roster files' total size and the number of entries."""

    max_unpacked_bytes: int = 512 * 2**20
    max_entries: int = 100


class ArchiveTooLarge(Exception):
    """A zip past a limit (a zip bomb, or not a roster): the whole file is refused.

    `setting` names the limit, `too_many_entries` tells the count from the size."""

    def __init__(self, setting: str, limit: int, message: str, *, too_many_entries: bool) -> None:
        super().__init__(message)
        self.setting, self.limit, self.message = setting, limit, message
        self.too_many_entries = too_many_entries


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
    # The row's `metadata.*` extension columns, kept to give back.
    metadata: dict[str, str] = field(default_factory=dict, compare=False)


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
    parent_source_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False)


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
    # Where the row was read (0 when built in code), for the caller's own row errors.
    line: int = field(default=0, compare=False)
    # Kept to give back (see KEPT_*): the class's own fields, its OneRoster course, its terms.
    oneroster: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class PersonRow:
    """A person on the roster, known by phone.

    `role` is None only in a delta file whose roles.csv does not mention the person.
    A person with several roles at the school (a teacher who is also a parent) holds the
    primary one in `role` and the others in `other_roles`; each becomes a membership.
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
    line: int = field(default=0, compare=False)
    other_roles: list[PersonRole] = field(default_factory=list)
    # Kept to give back: users.csv fields, a second phone, each role's row, demographics.
    oneroster: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def roles(self) -> list[PersonRole]:
        """Every role the person holds in the file, the primary one first."""
        return [self.role, *self.other_roles] if self.role is not None else []


@dataclass(slots=True)
class EnrollmentRow:
    """A person in a course; `roster.csv` names the course by `course_code` instead."""

    source_id: str
    course_source_id: str | None
    person_source_id: str
    role: EnrollmentRole
    status: Status = "active"
    course_code: str | None = None
    line: int = field(default=0, compare=False)
    # Kept to give back: primary, beginDate, endDate.
    oneroster: dict[str, str] = field(default_factory=dict, compare=False)


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
    version: str = "1.2"  # the OneRoster version the manifest declares
    # Rows left out because they belong to other orgs of a district's file, by file name.
    not_this_school: dict[str, int] = field(default_factory=dict)
    # A delta's demographics of users its users.csv does not carry: sourcedId -> (line, date).
    birth_dates: dict[str, tuple[int, date]] = field(default_factory=dict)
    # Every sourcedId each file names, rows in error included: a row skipped for its error
    # is still in the file, so it is never retired as missing.
    present: dict[str, set[str]] = field(default_factory=dict)
    # Rows left out because a row they depend on is in error (an enrolment of a user in
    # error, a guardian link to one): reported with the skipped rows under on_error=skip.
    dependents: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class Table:
    """A CSV file read into rows of (first physical line, {wanted column: value})."""

    columns: frozenset[str] = frozenset()
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # The header's `metadata.*` extension columns (beyond the ones Rostra reads itself): each
    # row carries them after the wanted columns, to be kept and given back.
    extensions: tuple[str, ...] = ()
    # The rows a district filter left out unread (other schools'), by `RowFilter.counted`.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Rows of a district's file kept for reading: `column`'s value passes `keep`. The
    others are only counted (their sourcedIds), never turned into rows: most of a
    district's file is other schools'."""

    column: str
    keep: Callable[[str], bool]
    counted: str = "sourcedId"  # the column of a skipped row that `Table.skipped` lists


def age_band(birth_date: date, today: date) -> AgeBand:
    """The consent band: under 14 means the 14th birthday has not come yet."""
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    age = today.year - birth_date.year - (0 if had_birthday else 1)
    if age < 14:
        return "under14"
    if age < 18:
        return "14to17"
    return "adult"


# A OneRoster extension column (`metadata.` prefix) carrying the age band the school stated,
# so an export read back keeps it when there is no birth date.
AGE_BAND_COLUMN = "metadata.rostra.ageBand"
# The 1.2 enrolment roles are administrator, proctor, student and teacher: an assistant is
# written as a non-primary `teacher` with this extension column saying `assistant`.
ENROLLMENT_ROLE_COLUMN = "metadata.rostra.role"

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
        "preferredFamilyName", "primaryOrgSourcedId", "pronouns", AGE_BAND_COLUMN,
    ),
    "roles.csv": (
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
        "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
    ),
    "enrollments.csv": (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate", ENROLLMENT_ROLE_COLUMN,
    ),
    "demographics.csv": (
        "sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}  # fmt: skip

# What a OneRoster import keeps only to give it back in the export (#14: a lossless round
# trip). Phones are never among them in plaintext: a second phone is sealed like the first.
KEPT_USER = (
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "grades",
    "userMasterIdentifier",
    "resourceSourcedIds",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
)
KEPT_ROLE = ("sourcedId", "roleType", "beginDate", "endDate", "userProfileSourcedId")
KEPT_DEMOGRAPHICS = tuple(c for c in COLUMNS["demographics.csv"][3:])
KEPT_CLASS = (
    "grades",
    "classType",
    "location",
    "termSourcedIds",
    "subjects",
    "subjectCodes",
    "periods",
)
KEPT_COURSE = (
    "sourcedId",
    "schoolYearSourcedId",
    "title",
    "courseCode",
    "grades",
    "orgSourcedId",
    "subjects",
    "subjectCodes",
)
KEPT_ENROLLMENT = ("primary", "beginDate", "endDate")


def kept(
    row: dict[str, str], columns: tuple[str, ...], extensions: tuple[str, ...] = ()
) -> dict[str, str]:
    """The row's non-empty values of `columns` and of its table's extension columns."""
    return {column: row[column] for column in (*columns, *extensions) if row.get(column)}


METADATA_PREFIX = "metadata."


def extension_columns(header: Sequence[str], read: Collection[str]) -> tuple[str, ...]:
    """A header's `metadata.*` columns that are not among the ones read anyway."""
    return tuple(n for n in header if n.startswith(METADATA_PREFIX) and n not in read)


# The versions read: 1.1 carries each user's role and orgs in users.csv (no roles.csv) and
# spells demographics' `birthdate` in lower case; the reader takes either.
VERSIONS = ("1.1", "1.2")
READ_COLUMNS: dict[str, tuple[str, ...]] = {
    **COLUMNS,
    "users.csv": (*COLUMNS["users.csv"], "orgSourcedIds", "role"),
    "demographics.csv": (*COLUMNS["demographics.csv"], "birthdate"),
}
FILES_BY_VERSION = {
    "1.1": tuple(name for name in COLUMNS if name != "roles.csv"),
    "1.2": tuple(COLUMNS),
}

# Only what the standard requires; `classCode` is optional (a class without one is known
# by its sourcedId).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "name", "type"),
    "academicSessions.csv": ("sourcedId", "title", "startDate", "endDate"),
    "courses.csv": ("sourcedId", "title"),
    "classes.csv": ("sourcedId", "title", "courseSourcedId", "termSourcedIds"),
    "users.csv": ("sourcedId", "givenName", "familyName"),
    "roles.csv": ("sourcedId", "userSourcedId", "role", "orgSourcedId"),
    "enrollments.csv": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "demographics.csv": ("sourcedId",),
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
    "administrator": "school_admin",
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
    "school_admin": "administrator",
    "teacher": "teacher",
    "assistant": "aide",
    "student": "student",
    "guardian": "parent",
}
# Enrolment role -> (the 1.2 enrolment role, primary, metadata.rostra.role).
ONEROSTER_ENROLLMENT: dict[str, tuple[str, str, str]] = {
    "teacher": ("teacher", "true", ""),
    "assistant": ("teacher", "false", "assistant"),
    "student": ("student", "false", ""),
}
ENROLLMENT_ROLE_BY_PERSON_ROLE: dict[str, EnrollmentRole] = {
    "teacher": "teacher",
    "assistant": "assistant",
    "student": "student",
}
# `roster.csv` roles: a school admin is made in Rostra (or from a OneRoster file), not here.
PERSON_ROLES: dict[str, PersonRole] = {
    role: role for role in PERSON_ROLE_BY_ONEROSTER.values() if role != "school_admin"
}
AGE_BANDS: dict[str, AgeBand] = {"under14": "under14", "14to17": "14to17", "adult": "adult"}
STATUSES: dict[str, Status] = {"": "active", "active": "active", "tobedeleted": "tobedeleted"}
