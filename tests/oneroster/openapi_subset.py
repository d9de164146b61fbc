"""The 1EdTech OneRoster 1.2 Rostering REST binding's schemas, as far as Rostra answers them.

No copy of the 1EdTech OpenAPI document could be had from a package registry (the one
OneRoster package there is a generated 1.1 client without its document), so this is a
faithful subset written from the 1.2 REST binding: every object Rostra returns, with the
fields the binding requires as required, the binding's enumerations as closed sets, and
GUIDRefs with `href`, `sourcedId` and `type`. Extra fields are allowed, as the binding
allows extensions; a missing required field, a wrong type or a value outside an
enumeration fails validation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class Strict(BaseModel):
    model_config = ConfigDict(extra="allow", strict=False)


Status = Literal["active", "tobedeleted"]
RefType = Literal[
    "academicSession", "category", "class", "course", "demographics", "enrollment",
    "gradingPeriod", "lineItem", "org", "resource", "result", "scoreScale", "student",
    "teacher", "term", "user", "userProfile",
]  # fmt: skip
RoleName = Literal[
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
    "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher",
    "administrator",
]  # fmt: skip


class GUIDRef(Strict):
    href: str = Field(pattern=r"^https?://")
    sourcedId: str = Field(min_length=1)
    type: RefType


class Base(Strict):
    sourcedId: str = Field(min_length=1)
    status: Status
    dateLastModified: datetime


class Org(Base):
    name: str
    type: Literal["department", "school", "district", "local", "state", "national"]
    identifier: str | None = None
    parent: GUIDRef | None = None
    children: list[GUIDRef] | None = None


class AcademicSession(Base):
    title: str
    startDate: date
    endDate: date
    type: Literal["gradingPeriod", "semester", "schoolYear", "term"]
    schoolYear: str = Field(pattern=r"^\d{4}$")
    parent: GUIDRef | None = None
    children: list[GUIDRef] | None = None


class Course(Base):
    title: str
    org: GUIDRef
    schoolYear: GUIDRef | None = None
    courseCode: str | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None


class Class(Base):
    title: str
    course: GUIDRef
    school: GUIDRef
    terms: list[GUIDRef] = Field(min_length=1)
    classCode: str | None = None
    classType: Literal["homeroom", "scheduled"] | None = None
    location: str | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    periods: list[str] | None = None


class Role(Strict):
    roleType: Literal["primary", "secondary"]
    role: RoleName
    org: GUIDRef
    userProfile: str | None = None
    beginDate: date | None = None
    endDate: date | None = None


class UserId(Strict):
    type: str
    identifier: str


class User(Base):
    enabledUser: StrictBool
    givenName: str
    familyName: str
    roles: list[Role] = Field(min_length=1)
    username: str | None = None
    userIds: list[UserId] | None = None
    middleName: str | None = None
    identifier: str | None = None
    email: str | None = None
    sms: str | None = None
    phone: str | None = None
    agents: list[GUIDRef] | None = None
    grades: list[str] | None = None


class Enrollment(Base):
    user: GUIDRef
    # `class` is a Python keyword: read under its alias.
    class_: GUIDRef = Field(alias="class")
    school: GUIDRef
    role: Literal["administrator", "proctor", "student", "teacher"]
    primary: StrictBool | None = None
    beginDate: date | None = None
    endDate: date | None = None


class Demographics(Base):
    birthDate: date | None = None
    sex: Literal["male", "female", "unspecified", "other"] | None = None


class CodeMinorField(Strict):
    imsx_codeMinorFieldName: str
    imsx_codeMinorFieldValue: str


class CodeMinor(Strict):
    imsx_codeMinorField: list[CodeMinorField] = Field(min_length=1)


class StatusInfo(Strict):
    imsx_codeMajor: Literal["success", "processing", "failure", "unsupported"]
    imsx_severity: Literal["status", "warning", "error"]
    imsx_description: str | None = None
    imsx_CodeMinor: CodeMinor | None = None


OBJECT_OF: dict[str, type[Base]] = {
    "orgs": Org, "schools": Org, "academicSessions": AcademicSession,
    "terms": AcademicSession, "courses": Course, "classes": Class, "users": User,
    "students": User, "teachers": User, "enrollments": Enrollment,
    "demographics": Demographics,
}  # fmt: skip
SINGULAR = {
    "orgs": "org", "schools": "org", "academicSessions": "academicSession",
    "terms": "academicSession", "courses": "course", "classes": "class", "users": "user",
    "students": "user", "teachers": "user", "enrollments": "enrollment",
    "demographics": "demographics",
}  # fmt: skip


# The binding's answer keys: schools are `orgs`, terms `academicSessions`, students and
# teachers `users`.
KEY_OF = {"schools": "orgs", "terms": "academicSessions", "students": "users", "teachers": "users"}


def validate_collection(plural: str, body: dict[str, object]) -> int:
    """The collection answer `{key: [...]}`: every object valid; returns how many."""
    items = body[KEY_OF.get(plural, plural)]
    assert isinstance(items, list)
    for item in items:
        OBJECT_OF[plural].model_validate(item)
    return len(items)


def validate_single(plural: str, body: dict[str, object]) -> None:
    OBJECT_OF[plural].model_validate(body[SINGULAR[plural]])
