"""The export conforms to the OneRoster 1.2 CSV binding (#14): the standard's headers in the
standard's order in every file, bulk rows with blank status and dateLastModified, and the
1.2 enrolment roles only (an assistant is a non-primary `teacher`, marked in metadata)."""

from __future__ import annotations

import csv
import io
import zipfile

from tests.roster.helpers import NORTH, NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import school_zip, upload

# The OneRoster 1.2 CSV binding's columns, in its order; extensions (`metadata.*`) follow.
STANDARD = {
    "manifest.csv": ["propertyName", "value"],
    "orgs.csv": [
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ],
    "academicSessions.csv": [
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ],
    "courses.csv": [
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
        "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes",
    ],
    "classes.csv": [
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
        "subjects", "subjectCodes", "periods",
    ],
    "users.csv": [
        "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password", "userMasterIdentifier",
        "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
        "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
    ],
    "roles.csv": [
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
        "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
    ],
    "enrollments.csv": [
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ],
}  # fmt: skip
ENROLLMENT_ROLES = {"administrator", "proctor", "student", "teacher"}


def _tables(data: bytes) -> dict[str, tuple[list[str], list[dict[str, str]]]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            reader = csv.reader(io.StringIO(archive.read(name).decode("utf-8"), newline=""))
            header, *rows = list(reader)
            out[name] = (header, [dict(zip(header, row, strict=True)) for row in rows])
    return out


def _check_conforms(data: bytes) -> None:
    tables = _tables(data)
    assert set(STANDARD) <= set(tables)
    for name, columns in STANDARD.items():
        header, rows = tables[name]
        assert header[: len(columns)] == columns, name
        assert all(c.startswith("metadata.") for c in header[len(columns) :]), name
        if name != "manifest.csv":
            assert rows, name
            # Bulk mode: status and dateLastModified are blank.
            assert {(r["status"], r["dateLastModified"]) for r in rows} == {("", "")}, name
    enrollments = tables["enrollments.csv"][1]
    assert {r["role"] for r in enrollments} <= ENROLLMENT_ROLES
    by_user = {r["userSourcedId"]: r for r in enrollments}
    assert by_user["u-aide"]["role"] == "teacher" and by_user["u-aide"]["primary"] == "false"
    assert by_user["u-aide"]["metadata.rostra.role"] == "assistant"
    assert by_user["u-teacher"]["primary"] == "true"
    assert by_user["u-kid"]["primary"] == "false"
    assert by_user["u-kid"]["metadata.rostra.role"] == ""


async def test_export_headers_and_rows_conform_to_1_2(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    exported = await client.get(f"{NORTH}/roster/export", headers=admin)
    assert exported.status_code == 200
    _check_conforms(exported.content)
    # Read back, the assistant is still an assistant.
    south = await login("+8613900000001")
    r = await upload(client, south, exported.content, slug="demo-south")
    assert r.status_code == 200, r.text
    members = (await client.get("/v1/tenants/demo-south/members", headers=south)).json()
    assert sorted(m["role"] for m in members["items"]) == [
        "assistant",
        "guardian",
        "school_admin",
        "student",
        "student",
        "teacher",
    ]


async def test_cli_export_conforms(settings, schools, tmp_path):
    roster = tmp_path / "roster.zip"
    roster.write_bytes(school_zip())
    assert _rostra(settings, "import", "demo-north", str(roster)).returncode == 0
    exported = tmp_path / "north.zip"
    done = _rostra(settings, "export", "demo-north", str(exported))
    assert done.returncode == 0, done.stderr
    _check_conforms(exported.read_bytes())
