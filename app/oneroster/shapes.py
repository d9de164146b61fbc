"""Rows of the collections' subqueries as the OneRoster 1.2 JSON objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from app.core.vocabulary import Role

Row = Mapping[str, Any]
ROLE_NAMES = {
    Role.SCHOOL_ADMIN.value: "administrator",
    Role.TEACHER.value: "teacher",
    Role.ASSISTANT.value: "aide",
    Role.STUDENT.value: "student",
    Role.GUARDIAN.value: "guardian",
}


def moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


class Shaper:
    """Builds objects with `href` references under one base URL, for one school."""

    def __init__(self, base: str, school_id: uuid.UUID, roles: Mapping[uuid.UUID, list[str]]):
        self.base, self.school_id, self.roles = base, school_id, roles

    def ref(self, path: str, sourced_id: object, kind: str) -> dict[str, str]:
        return {
            "href": f"{self.base}/{path}/{sourced_id}",
            "sourcedId": str(sourced_id),
            "type": kind,
        }

    def _common(self, row: Row) -> dict[str, Any]:
        return {
            "sourcedId": str(row["sourcedId"]),
            "status": row["status"],
            "dateLastModified": moment(row["dateLastModified"]),
        }

    def org(self, row: Row) -> dict[str, Any]:
        return (
            self._common(row)
            | {"name": row["name"], "type": row["type"]}
            | {"identifier": row["identifier"]}
        )

    def session(self, row: Row) -> dict[str, Any]:
        end: date | None = row["endDate"]
        return self._common(row) | {
            "title": row["title"],
            "type": row["type"],
            "startDate": day(row["startDate"]),
            "endDate": day(end),
            "schoolYear": str(end.year) if end else None,
        }

    def course(self, row: Row) -> dict[str, Any]:
        out = self._common(row) | {"title": row["title"], "courseCode": row["courseCode"]}
        out["subjects"] = [row["subject"]] if row["subject"] else []
        out["org"] = self.ref("schools", self.school_id, "org")
        if row["_term"]:
            out["schoolYear"] = self.ref("academicSessions", row["_term"], "academicSession")
        return out

    def klass(self, row: Row) -> dict[str, Any]:
        out = self._common(row) | {"title": row["title"], "classCode": row["classCode"]}
        out["classType"] = "scheduled"
        out["subjects"] = [row["subject"]] if row["subject"] else []
        out["course"] = self.ref("courses", row["sourcedId"], "course")
        out["school"] = self.ref("schools", self.school_id, "org")
        terms = [row["_term"]] if row["_term"] else []
        out["terms"] = [self.ref("academicSessions", t, "academicSession") for t in terms]
        return out

    def user(self, row: Row) -> dict[str, Any]:
        roles = self.roles.get(row["sourcedId"], [])
        school = self.ref("schools", self.school_id, "org")
        return self._common(row) | {
            "enabledUser": bool(row["enabledUser"]),
            "givenName": row["givenName"],
            "familyName": row["familyName"],
            "roles": [
                {
                    "roleType": "primary" if i == 0 else "secondary",
                    "role": ROLE_NAMES[r],
                    "org": school,
                }
                for i, r in enumerate(roles)
                if r in ROLE_NAMES
            ],
        }

    def enrollment(self, row: Row) -> dict[str, Any]:
        return self._common(row) | {
            "role": row["role"],
            "primary": bool(row["primary"]),
            "user": self.ref("users", row["_user"], "user"),
            "class": self.ref("classes", row["_class"], "class"),
            "school": self.ref("schools", self.school_id, "org"),
        }

    def demographics(self, row: Row) -> dict[str, Any]:
        return self._common(row)

    def shape_of(self, plural: str) -> Callable[[Row], dict[str, Any]]:
        return {
            "orgs": self.org,
            "schools": self.org,
            "academicSessions": self.session,
            "terms": self.session,
            "courses": self.course,
            "classes": self.klass,
            "users": self.user,
            "students": self.user,
            "teachers": self.user,
            "enrollments": self.enrollment,
            "demographics": self.demographics,
        }[plural]
