"""A lossless export (#14): imported sourcedIds kept, every imported field given back (names,
username, email, identifier, grades, userIds, both phones, every term of a class, enrolment
begin/end and `primary`, demographics with birthDate, agents whatever else the guardian is),
and export -> import into an empty school -> export gives the same files."""

from __future__ import annotations

import csv
import io
import zipfile

from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN
from tests.roster.imports.test_roster_import import upload

MANIFEST = "propertyName,value\noneroster.version,1.2\n" + "".join(
    f"file.{name},bulk\n"
    for name in (
        "orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments",
        "demographics",
    )
)  # fmt: skip
FILES = {
    "manifest.csv": MANIFEST,
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "org-9,,,Ninth School,school,NS9,\n",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear\n"
    "sem-1,,,Autumn,semester,2026-09-01,2027-01-20,year-26,2027\n"
    "sem-2,,,Spring,semester,2027-02-20,2027-07-01,year-26,2027\n",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,"
    "grades,orgSourcedId,subjects,subjectCodes\n"
    "crs-math,,,year-26,Mathematics,MATH,07,org-9,Mathematics,MTH\n",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
    'cls-7a,,,Maths 7A,07,crs-math,M7A,scheduled,Room 12,org-9,"sem-1,sem-2",Mathematics,MTH,'
    '"1,2"\n',
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades\n"
    "usr-t,,,true,wang.fang,{LDAP:wf01},Fang,Wang,Li,T-001,wf@school.example,13800003001,"
    "13800003091,,\n"
    "usr-a,,,true,ann.aide,,Ann,Smith,,T-002,ann@school.example,13800003002,,,\n"
    "usr-k,,,true,zihan,{SIS:k1},Zihan,Li,,S-100,,13800003003,,usr-t,07\n",
    "roles.csv": "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,"
    "endDate,orgSourcedId,userProfileSourcedId\n"
    "rl-t,,,usr-t,primary,teacher,2026-08-01,,org-9,\n"
    "rl-tp,,,usr-t,secondary,parent,,,org-9,\n"
    "rl-a,,,usr-a,primary,aide,,,org-9,\n"
    "rl-k,,,usr-k,primary,student,2026-09-01,2027-07-01,org-9,\n",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate,metadata.rostra.role\n"
    "en-t,,,cls-7a,org-9,usr-t,teacher,false,2026-09-01,2027-07-01,\n"
    "en-a,,,cls-7a,org-9,usr-a,teacher,false,,,assistant\n"
    "en-k,,,cls-7a,org-9,usr-k,student,false,2026-09-01,,\n",
    "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex\n"
    "usr-k,,,2015-03-01,female\n",
}


def source_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in FILES.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
        for name in archive.namelist()
    }


def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["sourcedId"]: row for row in rows}


async def _export(client, base, headers) -> bytes:
    r = await client.get(f"{base}/roster/export", headers=headers)
    assert r.status_code == 200, r.text
    return r.content


async def test_every_imported_field_comes_back(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, source_zip())
    assert r.status_code == 200, r.text
    out = tables(await _export(client, NORTH, admin))
    source = tables(source_zip())

    users = by_id(out["users.csv"])
    for sourced_id, row in by_id(source["users.csv"]).items():
        for column, value in row.items():
            given_back = users[sourced_id][column]
            if column in ("sms", "phone"):  # in E.164 (a leading ' keeps a + from formulas)
                assert given_back.lstrip("'").removeprefix("+86") == value, (sourced_id, column)
            elif column not in ("status", "dateLastModified", "agentSourcedIds"):
                assert given_back == value, (sourced_id, column)
    # Agents kept though the guardian also teaches; both ways, as the standard links them.
    assert users["usr-k"]["agentSourcedIds"] == "usr-t"
    assert users["usr-t"]["agentSourcedIds"] == "usr-k"

    roles = by_id(out["roles.csv"])
    assert set(roles) == {"rl-t", "rl-tp", "rl-a", "rl-k"}
    assert (roles["rl-tp"]["role"], roles["rl-tp"]["roleType"]) == ("parent", "secondary")
    assert (roles["rl-k"]["beginDate"], roles["rl-k"]["endDate"]) == ("2026-09-01", "2027-07-01")

    assert by_id(out["academicSessions.csv"]).keys() == {"sem-1", "sem-2"}
    assert by_id(out["academicSessions.csv"])["sem-2"]["parentSourcedId"] == "year-26"
    course = by_id(out["courses.csv"])["crs-math"]
    assert (course["courseCode"], course["grades"], course["subjectCodes"]) == ("MATH", "07", "MTH")
    cls = by_id(out["classes.csv"])["cls-7a"]
    assert cls["termSourcedIds"] == "sem-1,sem-2" and cls["location"] == "Room 12"
    assert (cls["courseSourcedId"], cls["periods"]) == ("crs-math", "1,2")

    enrolled = by_id(out["enrollments.csv"])
    assert enrolled["en-t"]["primary"] == "false"  # not every teacher is primary
    assert (enrolled["en-t"]["beginDate"], enrolled["en-t"]["endDate"]) == (
        "2026-09-01",
        "2027-07-01",
    )
    assert (enrolled["en-a"]["role"], enrolled["en-a"]["metadata.rostra.role"]) == (
        "teacher",
        "assistant",
    )
    kid = by_id(out["demographics.csv"])["usr-k"]
    assert (kid["birthDate"], kid["sex"]) == ("2015-03-01", "female")

    again = (await upload(client, admin, source_zip())).json()
    assert again["people"]["updated"] == 0 and again["enrollments"]["updated"] == 0
    assert again["courses"]["updated"] == 0


async def test_export_import_into_an_empty_school_export_gives_the_same_files(
    client, schools, login
):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    assert (await upload(client, north, source_zip())).status_code == 200
    first = await _export(client, NORTH, north)
    moved = await upload(client, south, first, slug="demo-south")
    assert moved.status_code == 200, moved.text
    second = await _export(client, SOUTH, south)
    assert tables(second) == tables(first)
    # Stable across exports: the same school twice gives the same files.
    assert tables(await _export(client, NORTH, north)) == tables(first)


async def test_records_made_in_rostra_keep_their_generated_ids(client, schools, login):
    admin = await login(NORTH_ADMIN)
    made = await client.post(
        f"{NORTH}/courses",
        json={
            "code": "ART-1", "name": "Art", "subject": "Art", "term": "2026 autumn",
            "starts_on": "2026-09-01", "ends_on": "2027-01-31",
        },
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    first = tables(await _export(client, NORTH, admin))
    assert by_id(first["classes.csv"])[made.json()["id"]]["classCode"] == "ART-1"
    assert tables(await _export(client, NORTH, admin)) == first
