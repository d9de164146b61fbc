"""The under-14 consent rests on a guardian: only a parent, guardian or relative can be one.

A teacher (or anyone else) named in a student's `agentSourcedIds` used to satisfy the rule;
now the student's row is an error naming the row, and nothing is written.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

from tests.roster.helpers import NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import PEOPLE, counts, school_zip, upload

KID_LINE = 4  # u-kid is the third user: line 4 of users.csv


def _teacher_as_agent() -> bytes:
    kid = replace(PEOPLE[2], guardian_source_ids=["u-teacher"])
    return school_zip(people=[*PEOPLE[:2], kid, *PEOPLE[3:]])


def _delta_student(agent: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "manifest.csv",
            "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\n"
            "file.users,delta\nfile.roles,delta\n",
        )
        archive.writestr(
            "users.csv",
            "sourcedId,status,givenName,familyName,sms,agentSourcedIds\n"
            f"u-kid2,active,小红,李,13800001009,{agent}\n",
        )
        archive.writestr(
            "roles.csv",
            "sourcedId,status,userSourcedId,roleType,role,orgSourcedId\n"
            "r-kid2,active,u-kid2,primary,student,org-1\n",
        )
    return buffer.getvalue()


async def test_a_teacher_named_as_agent_is_a_row_error(client, schools, login, owner):
    """MIN-1, PRX-2: an under-14 student's consent is a guardian's (parent, guardian, relative)."""
    admin = await login(NORTH_ADMIN)
    before = await counts(owner, schools["demo-north"])
    for dry_run in ("true", "false"):
        r = await upload(client, admin, _teacher_as_agent(), dry_run=dry_run)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        [error] = r.json()["errors"]
        assert (error["file"], error["line"], error["column"]) == (
            "users.csv",
            KID_LINE,
            "agentSourcedIds",
        )
        assert "'u-teacher' is a teacher" in error["message"]
        assert "parent, guardian or relative" in error["message"]
    assert await counts(owner, schools["demo-north"]) == before


async def test_a_delta_agent_must_be_a_guardian_the_school_knows(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, _delta_student("u-teacher"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["file"], error["line"], error["column"]) == ("users.csv", 2, "agentSourcedIds")
    assert "u-teacher" in error["message"]
    assert await counts(owner, schools["demo-north"]) == before
    r = await upload(client, admin, _delta_student("u-parent"))
    assert r.status_code == 200, r.text
    assert r.json()["people"]["created"] == 1 and r.json()["guardianships"]["created"] == 1


async def test_roster_csv_guardian_phone_of_a_teacher_is_a_row_error(client, schools, login):
    admin = await login(NORTH_ADMIN)
    text = (
        "phone,name,role,course_code,age_band,guardian_phone\n"
        "13800001031,王老师,teacher,,,\n"
        "13800001032,小明,student,,under14,13800001031\n"
    )
    r = await upload(client, admin, text.encode(), format="csv")
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["file"], error["line"], error["column"]) == ("roster.csv", 3, "guardian_phone")


async def test_cli_refuses_a_teacher_as_agent(settings, schools, owner, tmp_path):
    roster = tmp_path / "roster.zip"
    roster.write_bytes(_teacher_as_agent())
    done = _rostra(settings, "import", "demo-north", str(roster))
    assert done.returncode == 1, done.stdout
    assert f"users.csv:{KID_LINE}: agentSourcedIds: agent 'u-teacher' is a teacher" in done.stderr
    assert "nothing was written" in done.stderr
    assert (await counts(owner, schools["demo-north"]))["Enrollment"] == 0
