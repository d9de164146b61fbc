"""Several roles per person in one school (#14): a teacher who is also a parent, a teacher who
is also the school's administrator; each role its own membership, roles Rostra has no use for
named as skipped in the plan, and the export writes every role back."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace

from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN
from tests.roster.imports.test_roster_import import ENROLLMENTS, PEOPLE, school_zip, upload

TEACHER_PHONE, KID_PHONE = "13800001001", "13800001003"
# The teacher is also the parent of u-kid; the parent row of the base file is gone.
TEACHER_AND_PARENT = replace(PEOPLE[0], other_roles=["guardian"])
KID = replace(PEOPLE[2], guardian_source_ids=["u-teacher"])
PEOPLE_WITH_ROLES = [TEACHER_AND_PARENT, PEOPLE[1], KID, PEOPLE[3]]


def _with_roles(data: bytes, extra: list[dict[str, str]]) -> bytes:
    """The zip with more roles.csv rows."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            text = source.read(name).decode("utf-8")
            if name == "roles.csv":
                rows = list(csv.DictReader(io.StringIO(text)))
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows([*rows, *({**rows[0], **row} for row in extra)])
                text = buffer.getvalue()
            archive.writestr(name, text)
    return out.getvalue()


async def _roles_of(client, login, phone: str, school: str = "demo-north") -> set[str]:
    me = (await client.get("/v1/me", headers=await login(phone))).json()
    return {m["role"] for m in me["memberships"] if m["school"] == school}


async def test_a_teacher_who_is_a_parent_gets_both_memberships(client, schools, login):
    """The guardian link holds though the guardian also teaches (MIN-1: the parent role
    is what makes them a guardian)."""
    admin = await login(NORTH_ADMIN)
    data = school_zip(people=PEOPLE_WITH_ROLES, enrollments=ENROLLMENTS)
    r = await upload(client, admin, data)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["created"] == 5 and plan["guardianships"]["created"] == 1
    assert await _roles_of(client, login, TEACHER_PHONE) == {"teacher", "guardian"}
    parent = await login(TEACHER_PHONE)
    seen = (await client.get(f"{NORTH}/enrollments", headers=parent)).json()["items"]
    assert ("+86 138****1003", "student") in {(e["phone_masked"], e["role"]) for e in seen}

    again = (await upload(client, admin, data)).json()
    assert again["people"]["created"] == 0 and again["people"]["deactivated"] == 0
    assert again["people"]["unchanged"] == 5 and again["guardianships"]["unchanged"] == 1


async def test_administrator_maps_to_school_admin_and_proctor_is_skipped(client, schools, login):
    admin = await login(NORTH_ADMIN)
    data = _with_roles(
        school_zip(),
        [
            {"sourcedId": "r-admin", "roleType": "secondary", "role": "administrator"},
            {"sourcedId": "r-proctor", "roleType": "secondary", "role": "proctor"},
        ],
    )
    dry = (await upload(client, admin, data, dry_run="true")).json()
    assert any("skipped 1 roles 'proctor'" in notice for notice in dry["notices"]), dry
    assert dry["people"]["created"] == 6  # five people, the teacher twice
    r = await upload(client, admin, data)
    assert r.status_code == 200, r.text
    assert await _roles_of(client, login, TEACHER_PHONE) == {"teacher", "school_admin"}
    teacher = await login(TEACHER_PHONE)
    members = await client.get(f"{NORTH}/members?limit=50", headers=teacher)
    assert members.status_code == 200  # a school admin reads the whole roster
    assert len(members.json()["items"]) >= 6
    # Another school's admin role is not given by this school's file.
    assert (await client.get(f"{SOUTH}/members", headers=teacher)).status_code == 404


async def test_a_role_dropped_from_the_file_ends_that_membership_only(client, schools, login):
    admin = await login(NORTH_ADMIN)
    await upload(client, admin, school_zip(people=PEOPLE_WITH_ROLES))
    only_teacher = [PEOPLE[0], PEOPLE[1], replace(KID, guardian_source_ids=["u-parent"])]
    r = await upload(client, admin, school_zip(people=[*only_teacher, PEOPLE[3], PEOPLE[4]]))
    assert r.status_code == 200, r.text
    assert any(line.startswith("u-teacher: guardian") for line in r.json()["retiring"]["people"])
    me = (await client.get("/v1/me", headers=await login(TEACHER_PHONE))).json()
    held = {(m["role"], m["status"]) for m in me["memberships"] if m["school"] == "demo-north"}
    assert held == {("teacher", "pending"), ("guardian", "inactive")}


async def test_export_writes_every_role_and_reads_back_the_same(client, schools, login):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    await upload(client, north, school_zip(people=PEOPLE_WITH_ROLES))
    exported = await client.get(f"{NORTH}/roster/export", headers=north)
    assert exported.status_code == 200
    roles_csv = zipfile.ZipFile(io.BytesIO(exported.content)).read("roles.csv").decode()
    teacher_roles = [
        (row["roleType"], row["role"])
        for row in csv.DictReader(io.StringIO(roles_csv))
        if row["userSourcedId"] == "u-teacher"
    ]
    assert teacher_roles == [("primary", "teacher"), ("secondary", "parent")]
    r = await upload(client, south, exported.content, slug="demo-south")
    assert r.status_code == 200, r.text
    assert r.json()["guardianships"]["created"] == 1
    assert await _roles_of(client, login, TEACHER_PHONE, "demo-south") == {"teacher", "guardian"}
