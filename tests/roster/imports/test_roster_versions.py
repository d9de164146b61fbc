"""OneRoster 1.1 and 1.2, bulk and delta, zip or folder; the version comes from the manifest
and a version Rostra cannot read is one clear error (#14)."""

from __future__ import annotations

import io
import zipfile

from tests.roster.helpers import NORTH, NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import counts, school_zip, upload

MANIFEST_1_1 = (
    "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
    "file.orgs,bulk\nfile.academicSessions,bulk\nfile.courses,bulk\nfile.classes,bulk\n"
    "file.users,bulk\nfile.enrollments,bulk\nfile.demographics,bulk\n"
)
BULK_1_1 = {
    "manifest.csv": MANIFEST_1_1,
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "org-1,,,第一实验学校,school,S001,\n",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,"
    "parentSourcedId,schoolYear\nterm-1,,,2026 autumn,term,2026-09-01,2027-01-31,,2027\n",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,"
    "grades,orgSourcedId,subjects,subjectCodes\ncourse-1,,,,Mathematics,,,org-1,,\n",
    # No classCode on class-2: the standard makes it optional.
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,"
    "classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
    "class-1,,,Maths 7A,,course-1,MATH-7A,scheduled,,org-1,term-1,,,\n"
    "class-2,,,Maths 7B,,course-1,,scheduled,,org-1,term-1,,,\n",
    # 1.1 users carry role and orgSourcedIds; metadata.* columns are extensions.
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
    "userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
    "password,metadata.sis.house\n"
    "u-t,,,true,org-1,teacher,,,Fang,Wang,,,,13800001101,,,,,red\n"
    "u-k,,,true,org-1,student,,,Zihan,Li,,,,13800001102,,u-p,,,blue\n"
    "u-p,,,true,org-1,parent,,,Jianguo,Li,,,,13800001103,,u-k,,,\n"
    "u-x,,,true,org-2,teacher,,,Other,School,,,,13800001104,,,,,\n",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,"
    "userSourcedId,role,primary,beginDate,endDate\n"
    "e-1,,,class-1,org-1,u-t,teacher,true,,\n"
    "e-2,,,class-2,org-1,u-t,teacher,true,,\n"
    "e-3,,,class-1,org-1,u-k,student,false,,\n",
    # 1.1 spells it `birthdate`.
    "demographics.csv": "sourcedId,status,dateLastModified,birthdate,sex\nu-k,,,2015-03-01,\n",
}


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


async def test_a_1_1_bulk_set_imports(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, _zip(BULK_1_1))
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["created"] == 3 and plan["courses"]["created"] == 2
    assert plan["enrollments"]["created"] == 3 and plan["guardianships"]["created"] == 1
    assert plan["not_this_school"] == {"users.csv": 1}
    courses = (await client.get(f"{NORTH}/courses", headers=admin)).json()["items"]
    assert sorted(c["code"] for c in courses) == ["MATH-7A", "class-2"]
    students = (await client.get(f"{NORTH}/members?role=student", headers=admin)).json()
    assert [m["age_band"] for m in students["items"]] == ["under14"]  # from `birthdate`
    again = (await upload(client, admin, _zip(BULK_1_1))).json()
    assert again["people"]["unchanged"] == 3 and again["courses"]["unchanged"] == 2


async def test_a_1_2_delta_set_applies(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    delta = _zip({
        "manifest.csv": "propertyName,value\noneroster.version,1.2\n"
        "file.users,delta\nfile.roles,delta\nfile.enrollments,delta\n",
        "users.csv": "sourcedId,status,givenName,familyName,sms,metadata.sis.house\n"
        "u-new,active,New,Teacher,13800001111,green\n",
        "roles.csv": "sourcedId,status,userSourcedId,roleType,role,orgSourcedId\n"
        "r-new,active,u-new,primary,teacher,org-1\n",
        "enrollments.csv": "sourcedId,status,classSourcedId,userSourcedId,role\n"
        "e-new,active,class-2,u-new,teacher\n"
        "e-4,tobedeleted,class-2,u-teen,student\n",
    })  # fmt: skip
    r = await upload(client, admin, delta)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"] == {"created": 1, "updated": 0, "unchanged": 0, "deactivated": 0}
    assert plan["enrollments"]["created"] == 1 and plan["enrollments"]["deactivated"] == 1
    assert plan["courses"]["deactivated"] == 0  # a delta retires nothing it leaves out


async def test_a_version_rostra_cannot_read_is_one_error(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    files = {**BULK_1_1, "manifest.csv": MANIFEST_1_1.replace("oneroster.version,1.1", "x,y")}
    files["manifest.csv"] += "oneroster.version,1.0\n"
    files["users.csv"] = "nonsense\n"  # would be a cascade of errors if read on
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, _zip(files))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["file"], error["column"]) == ("manifest.csv", "value")
    assert "'1.0' cannot be read" in error["message"] and "1.1 and 1.2" in error["message"]
    assert await counts(owner, schools["demo-north"]) == before


async def test_cli_imports_a_folder(settings, schools, owner, tmp_path):
    folder = tmp_path / "oneroster"
    folder.mkdir()
    for name, text in BULK_1_1.items():
        (folder / name).write_text(text)
    done = _rostra(settings, "import", "demo-north", str(folder))
    assert done.returncode == 0, done.stderr
    assert (await counts(owner, schools["demo-north"]))["Enrollment"] == 3
