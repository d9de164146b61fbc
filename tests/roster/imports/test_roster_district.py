"""A district's OneRoster file (#14): the tenant file names this school's orgs
(`[oneroster] orgs`) and the region of national numbers (`phone_region`); the other
schools' rows are reported as "not this school" in the plan, never as errors."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from app.core.config import ROOT
from tests.conftest import make_settings
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH_ADMIN
from tests.roster.imports.test_roster_import import counts, upload


@pytest.fixture
def settings(database, tmp_path):
    tenants = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", tenants)
    with (tenants / "demo-north.toml").open("a") as f:
        f.write('\n[oneroster]\norgs = ["school-n"]\nphone_region = "US"\n')
    return make_settings(database, tmp_path, tenants_dir=tenants)


ORGS = (
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "district-1,,,Unified District,district,,\n"
    "school-n,,,North Elementary,school,,district-1\n"
    "school-s,,,South Elementary,school,,district-1\n"
    "school-w,,,West Elementary,school,,district-1\n"
)
USERS = (
    "sourcedId,status,dateLastModified,enabledUser,givenName,familyName,sms,agentSourcedIds\n"
    "n-t,,,true,Fang,Wang,(201) 555-0123,\n"
    "n-k,,,true,Zoe,Li,201-555-0124,n-p\n"
    "n-p,,,true,Jian,Li,2015550125,n-k\n"
    # Other schools' rows: a number twice and one that is no number are not this school's.
    "s-t,,,true,Sam,South,2015550123,\n"
    "s-k,,,true,Kid,South,not a phone,\n"
    "w-t,,,true,Wes,West,2015550123,\n"
)
ROLES = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId\n"
    "r1,,,n-t,primary,teacher,,,school-n,\n"
    "r2,,,n-k,primary,student,,,school-n,\n"
    "r3,,,n-p,primary,parent,,,school-n,\n"
    "r4,,,s-t,primary,teacher,,,school-s,\n"
    "r5,,,s-k,primary,student,,,school-s,\n"
    "r6,,,w-t,primary,teacher,,,school-w,\n"
)
CLASSES = (
    "sourcedId,status,dateLastModified,title,courseSourcedId,classCode,schoolSourcedId,"
    "termSourcedIds\n"
    "c-n,,,Maths N,course-1,MATH-N,school-n,term-1\n"
    "c-s,,,Maths S,course-1,MATH-S,school-s,term-1\n"
    "c-w,,,Maths W,course-1,MATH-W,school-w,term-1\n"
)
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary\n"
    "e1,,,c-n,school-n,n-t,teacher,true\n"
    "e2,,,c-n,school-n,n-k,student,false\n"
    "e3,,,c-s,school-s,s-t,teacher,true\n"
    "e4,,,c-s,school-s,s-k,student,false\n"
    "e5,,,c-w,school-w,w-t,teacher,true\n"
)


def district_zip() -> bytes:
    files = {
        "manifest.csv": "propertyName,value\noneroster.version,1.2\nfile.orgs,bulk\n"
        "file.academicSessions,bulk\nfile.courses,bulk\nfile.classes,bulk\nfile.users,bulk\n"
        "file.roles,bulk\nfile.enrollments,bulk\n",
        "orgs.csv": ORGS,
        "academicSessions.csv": "sourcedId,title,type,startDate,endDate,schoolYear\n"
        "term-1,2026 fall,term,2026-09-01,2027-01-31,2027\n",
        "courses.csv": "sourcedId,title,orgSourcedId\ncourse-1,Mathematics,district-1\n",
        "classes.csv": CLASSES,
        "users.csv": USERS,
        "roles.csv": ROLES,
        "enrollments.csv": ENROLLMENTS,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


NOT_THIS_SCHOOL = {
    "classes.csv": 2,
    "enrollments.csv": 3,
    "orgs.csv": 3,
    "roles.csv": 3,
    "users.csv": 3,
}


async def test_a_district_file_imports_this_schools_rows(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    dry = await upload(client, admin, district_zip(), dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["not_this_school"] == NOT_THIS_SCHOOL
    r = await upload(client, admin, district_zip())
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["created"] == 3 and plan["courses"]["created"] == 1
    assert plan["enrollments"]["created"] == 2 and plan["guardianships"]["created"] == 1
    assert plan["not_this_school"] == NOT_THIS_SCHOOL
    members = (await client.get(f"{NORTH}/members?limit=50", headers=admin)).json()["items"]
    # National numbers read in the tenant file's phone_region (US), not CN.
    assert sorted(m["phone_masked"] for m in members if m["role"] != "school_admin") == [
        "+1 201***0123",
        "+1 201***0124",
        "+1 201***0125",
    ]
    again = (await upload(client, admin, district_zip())).json()
    assert again["people"]["unchanged"] == 3 and again["enrollments"]["unchanged"] == 2


async def test_a_school_without_its_orgs_named_gets_one_error_per_extra_school(
    client, schools, login, owner
):
    south = await login(SOUTH_ADMIN)
    r = await upload(client, south, district_zip(), slug="demo-south")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["file"], e["line"]) for e in errors] == [("orgs.csv", 4), ("orgs.csv", 5)]
    assert all("[oneroster] orgs" in e["message"] for e in errors)
    assert (await counts(owner, schools["demo-south"]))["Course"] == 0


def _rostra_import(settings, path) -> subprocess.CompletedProcess[str]:
    """`rostra roster import` with this module's tenant files."""
    env = {
        **os.environ,
        "ROSTRA_DATABASE_URL": settings.database_url,
        "ROSTRA_MIGRATE_DATABASE_URL": settings.owner_database_url,
        "ROSTRA_SECRET_KEY": settings.secret_key,
        "ROSTRA_TENANTS_DIR": str(settings.tenants_dir),
        "ROSTRA_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "roster", "import", "demo-north", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


async def test_cli_imports_a_district_file(settings, schools, owner, tmp_path):
    roster = tmp_path / "district.zip"
    roster.write_bytes(district_zip())
    done = _rostra_import(settings, roster)
    assert done.returncode == 0, done.stderr
    assert '"not_this_school"' in done.stdout and '"users.csv": 3' in done.stdout
    assert (await counts(owner, schools["demo-north"]))["Enrollment"] == 2
