"""Roster import and export over HTTP: plan, dry run, row errors, idempotence, round trip."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from app.accounts.models import Account
from app.core.db import set_tenant
from app.roster.imports.rosterfile import (
    CourseRow,
    EnrollmentRow,
    OrgRow,
    PersonRow,
    SessionRow,
    write_oneroster,
)
from app.roster.models import ConsentAttestation, Course, Enrollment, Guardianship
from app.tenancy.models import Membership
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, person

TERM = SessionRow("term-1", "2026秋季学期", date(2026, 9, 1), date(2027, 1, 31))
IN_TERM = (TERM.source_id, TERM.title, TERM.starts_on, TERM.ends_on)
SCHOOL = OrgRow("org-1", "第一实验学校")
COURSES = [
    CourseRow("class-1", "MATH-7A", "七年级数学A班", "数学", *IN_TERM),
    CourseRow("class-2", "ENG-7A", "Grade 7 English", "English", *IN_TERM),
]
PEOPLE = [
    PersonRow("u-teacher", "+86 138 0000 1001", "王芳", "teacher"),
    PersonRow("u-aide", "13800001002", "Ann Smith", "assistant"),
    PersonRow("u-kid", "13800001003", "李子涵", "student", date(2015, 3, 1), None, ["u-parent"]),
    PersonRow("u-teen", "13800001004", "张浩然", "student", date(2010, 10, 1)),
    PersonRow("u-parent", "13800001005", "李建国", "guardian"),
]
ENROLLMENTS = [
    EnrollmentRow("e-1", "class-1", "u-teacher", "teacher"),
    EnrollmentRow("e-2", "class-1", "u-aide", "assistant"),
    EnrollmentRow("e-3", "class-1", "u-kid", "student"),
    EnrollmentRow("e-4", "class-2", "u-teen", "student"),
]


def school_zip(people=PEOPLE, enrollments=ENROLLMENTS, courses=COURSES) -> bytes:
    return write_oneroster(SCHOOL, [TERM], courses, people, enrollments)


async def upload(client, headers, data: bytes, slug: str = "demo-north", **params):
    form = {k: v for k, v in params.items() if k == "default_age_band"}
    query = {k: v for k, v in params.items() if k != "default_age_band"}
    name = "roster.zip" if data[:2] == b"PK" else "roster.csv"
    return await client.post(
        f"/v1/tenants/{slug}/roster/import",
        params=query,
        data=form,
        files={"file": (name, data)},
        headers=headers,
    )


async def counts(owner, tenant) -> dict[str, int]:
    out = {}
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        for model in (Membership, Course, Enrollment, Guardianship, ConsentAttestation):
            q = select(func.count()).select_from(model).where(col(model.tenant_id) == tenant.id)
            out[model.__name__] = int((await session.execute(q)).scalar_one())
        q = select(func.count()).select_from(Account)
        out["Account"] = int((await session.execute(q)).scalar_one())
    return out


async def test_import_creates_then_is_idempotent(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, school_zip())
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["courses"]["created"] == 2
    assert plan["people"]["created"] == 5
    assert plan["enrollments"]["created"] == 4
    assert plan["guardianships"]["created"] == 1
    again = (await upload(client, admin, school_zip())).json()
    assert again["people"] == {"created": 0, "updated": 0, "unchanged": 5, "deactivated": 0}
    assert again["enrollments"]["unchanged"] == 4 and again["courses"]["unchanged"] == 2
    north = schools["demo-north"]
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        methods = (
            await session.execute(
                select(ConsentAttestation.method, ConsentAttestation.given_by).where(
                    col(ConsentAttestation.tenant_id) == north.id
                )
            )
        ).all()
    assert len(methods) == 5 and {m for m, _ in methods} == {"school_import"}
    assert sorted(g for _, g in methods).count("guardian") == 1  # the under-14 student
    courses = (await client.get(f"{NORTH}/courses", headers=admin)).json()["items"]
    assert sorted(c["code"] for c in courses) == ["ENG-7A", "MATH-7A"]
    # The imported teacher can use the school at once (pending works) and sees their course.
    teacher = await login("13800001001")
    mine = (await client.get(f"{NORTH}/courses", headers=teacher)).json()["items"]
    assert [c["code"] for c in mine] == ["MATH-7A"]


async def test_dry_run_returns_the_plan_and_writes_nothing(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, school_zip(), dry_run="true")
    assert r.status_code == 200 and r.json()["dry_run"] is True
    assert r.json()["people"]["created"] == 5
    assert await counts(owner, schools["demo-north"]) == before


async def test_a_failing_row_leaves_the_database_unchanged(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    await upload(client, admin, school_zip())
    before = await counts(owner, schools["demo-north"])
    bad_people = [*PEOPLE[:3], PersonRow("u-teen", "12345678", "张浩然", "student")]
    bad_people.append(PersonRow("u-new", "13800001006", "New Teacher", "teacher"))
    for dry_run in ("true", "false"):
        r = await upload(
            client,
            admin,
            school_zip(people=bad_people, enrollments=ENROLLMENTS[:3]),
            dry_run=dry_run,
        )
        assert r.status_code == 422, r.text
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["plan"]["people"]["created"] == 1
        assert any(
            e["file"] == "users.csv" and e["column"] in ("sms", "phone") for e in body["errors"]
        )
        assert all({"file", "line", "column", "message"} <= set(e) for e in body["errors"])
    assert await counts(owner, schools["demo-north"]) == before


async def test_students_without_birth_date_are_under_14_unless_the_form_says(
    client, schools, login, owner
):
    admin = await login(NORTH_ADMIN)
    people = [PersonRow("u-x", "13800001011", "No Birthday", "student")]
    enrollments = [EnrollmentRow("e-x", "class-1", "u-x", "student")]
    data = school_zip(people=people, enrollments=enrollments)
    r = await upload(client, admin, data)
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert (error["file"], error["column"]) == ("users.csv", "agentSourcedIds")
    assert error["line"] == 2
    r = await upload(client, admin, data, default_age_band="14to17")
    assert r.status_code == 200, r.text
    members = (
        await client.get(f"{NORTH}/members", params={"role": "student"}, headers=admin)
    ).json()
    assert [m["age_band"] for m in members["items"]] == ["14to17"]


async def test_bulk_retires_only_what_it_imported_and_delta_deletes(client, schools, login):
    admin = await login(NORTH_ADMIN)
    made_here = await client.post(f"{NORTH}/members", json=person("13800001020"), headers=admin)
    await upload(client, admin, school_zip())
    r = await upload(
        client, admin, school_zip(people=PEOPLE[:3] + PEOPLE[4:], enrollments=ENROLLMENTS[:3])
    )
    assert r.status_code == 200, r.text
    assert r.json()["people"]["deactivated"] == 1
    assert r.json()["enrollments"]["deactivated"] == 1
    kept = (await client.get(f"{NORTH}/members/{made_here.json()['id']}", headers=admin)).json()
    assert kept["status"] == "pending"
    teen = await login("13800001004")
    assert (await client.get(f"{NORTH}/courses", headers=teen)).status_code == 404
    # The teen comes back with the next full file.
    r = await upload(client, admin, school_zip())
    assert r.json()["people"]["updated"] == 1 and r.json()["enrollments"]["updated"] == 1
    # A delta saying tobedeleted deactivates.
    delta = _delta_users("u-aide,tobedeleted,Ann,Smith,13800001002")
    r = await upload(client, admin, delta)
    assert r.status_code == 200, r.text
    assert r.json()["people"]["deactivated"] == 1


def _delta_users(*lines: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "manifest.csv",
            "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.users,delta\n",
        )
        archive.writestr(
            "users.csv", "sourcedId,status,givenName,familyName,sms\n" + "\n".join(lines) + "\n"
        )
    return buffer.getvalue()


async def test_simple_csv_with_bom_and_gb18030(client, schools, login):
    admin = await login(NORTH_ADMIN)
    await upload(client, admin, school_zip())
    text = (
        "phone,name,role,course_code,age_band,guardian_phone\n"
        "13800001031,王老师,teacher,MATH-7A,,\n"
        "13800001032,小明,student,MATH-7A,under14,13800001033\n"
        "13800001034,大明,student,ENG-7A,adult,\n"
    )
    r = await upload(client, admin, "\ufeff".encode() + text.encode("utf-8"), format="csv")
    assert r.status_code == 200, r.text
    assert r.json()["people"]["created"] == 4  # the guardian named only by phone, too
    assert r.json()["enrollments"]["created"] == 3
    r = await upload(client, admin, text.encode("gb18030"), format="csv")
    assert r.status_code == 200
    assert r.json()["people"]["unchanged"] == 4 and r.json()["enrollments"]["unchanged"] == 3
    names = {
        m["display_name"]
        for m in (await client.get(f"{NORTH}/members", headers=admin)).json()["items"]
    }
    assert {"王老师", "小明"} <= names
    bad = (
        text
        + "13800001035,Nobody,student,NO-SUCH,adult,\n13800001034,Again,student,ENG-7A,adult,\n"
    )
    r = await upload(client, admin, bad.encode(), format="csv")
    assert r.status_code == 422
    columns = {(e["line"], e["column"]) for e in r.json()["errors"]}
    assert (5, "course_code") in columns and (6, "phone") in columns
    r = await upload(client, admin, b"\xff\xfe\x00garbage\x81\x82", format="csv")
    assert r.status_code == 422 and r.json()["errors"][0]["line"] == 1


async def test_round_trip_into_an_empty_school(client, schools, login, owner):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    await upload(client, north, school_zip())
    exported = await client.get(
        f"{NORTH}/roster/export", params={"format": "oneroster"}, headers=north
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    r = await upload(client, south, exported.content, slug="demo-south")
    assert r.status_code == 200, r.text
    assert await _roster(client, NORTH, north) == await _roster(client, SOUTH, south)
    north_counts = await counts(owner, schools["demo-north"])
    south_counts = await counts(owner, schools["demo-south"])
    for model in ("Course", "Enrollment", "Guardianship", "Membership"):
        assert north_counts[model] == south_counts[model], model
    # The guardian is linked to the same child in the new school.
    guardian = await login("13800001005")
    children = (await client.get(f"{SOUTH}/enrollments", headers=guardian)).json()["items"]
    assert [(e["phone_masked"], e["role"]) for e in children] == [("+86 138****1003", "student")]


async def _roster(client, base, headers):
    courses = (await client.get(f"{base}/courses", headers=headers)).json()["items"]
    members = (await client.get(f"{base}/members", headers=headers)).json()["items"]
    people = {m["account_id"]: m for m in members}
    shaped_courses = sorted(
        (c["code"], c["name"], c["subject"], c["term"], c["starts_on"], c["ends_on"])
        for c in courses
    )
    enrolled = set()
    for c in courses:
        for e in (
            await client.get(f"{base}/courses/{c['id']}/enrollments", headers=headers)
        ).json()["items"]:
            enrolled.add((c["code"], e["phone_masked"], e["role"]))
    shaped_people = sorted(
        (m["phone_masked"], m["role"], m["display_name"], m["age_band"])
        for m in members
        if m["role"] != "school_admin"
    )
    guardians = sorted(
        (people[a]["phone_masked"]) for a in people if people[a]["role"] == "guardian"
    )
    return shaped_courses, shaped_people, sorted(enrolled), guardians


async def test_import_and_export_are_for_admins_of_that_school(client, schools, login):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    await upload(client, north, school_zip())
    assert (await upload(client, south, school_zip())).status_code == 404
    assert (await client.get(f"{NORTH}/roster/export", headers=south)).status_code == 404
    teacher = await login("13800001001")
    assert (await upload(client, teacher, school_zip())).status_code == 403
    assert (await client.get(f"{NORTH}/roster/export", headers=teacher)).status_code == 403


async def test_a_bulk_file_of_another_org_retires_nothing(client, schools, login):
    admin = await login(NORTH_ADMIN)
    await upload(client, admin, school_zip())
    other = write_oneroster(
        OrgRow("org-2", "Another school"), [TERM], COURSES[:1], PEOPLE[:1], ENROLLMENTS[:1]
    )
    r = await upload(client, admin, other)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["deactivated"] == 0 and plan["enrollments"]["deactivated"] == 0
    assert plan["courses"]["deactivated"] == 0
    assert any("org-2" in notice for notice in plan["notices"])


async def _roles_of(client, login, phone: str) -> set[tuple[str, str]]:
    me = (await client.get("/v1/me", headers=await login(phone))).json()
    return {(m["role"], m["status"]) for m in me["memberships"] if m["school"] == "demo-north"}


async def test_a_role_change_in_the_file_replaces_the_old_role(client, schools, login):
    """One sourcedId, one role: a teacher the file now lists as a student loses the
    teacher's access at once; listing them as a teacher again brings it back."""
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    assert await _roles_of(client, login, "13800001001") == {("teacher", "pending")}
    teacher = await login("13800001001")
    class_1 = f"{NORTH}/courses?limit=500"
    assert (await client.get(class_1, headers=teacher)).status_code == 200

    now_student = PersonRow("u-teacher", "+86 138 0000 1001", "王芳", "student", date(2000, 1, 1))
    people = [now_student, *PEOPLE[1:]]
    enrollments = [EnrollmentRow("e-1", "class-1", "u-teacher", "student"), *ENROLLMENTS[1:]]
    r = await upload(client, admin, school_zip(people=people, enrollments=enrollments))
    assert r.status_code == 200, r.text
    assert r.json()["people"]["deactivated"] == 1 and r.json()["people"]["created"] == 1
    assert await _roles_of(client, login, "13800001001") == {
        ("teacher", "inactive"),
        ("student", "pending"),
    }
    members = (await client.get(f"{NORTH}/members?limit=500", headers=admin)).json()["items"]
    retired = [m for m in members if m["role"] == "teacher" and m["status"] == "inactive"]
    assert [m["phone_masked"] for m in retired] == ["+86 138****1001"]
    again = await upload(client, admin, school_zip(people=people, enrollments=enrollments))
    assert again.json()["people"]["created"] == 0 and again.json()["people"]["deactivated"] == 0

    back = await upload(client, admin, school_zip())
    assert back.status_code == 200, back.text
    assert await _roles_of(client, login, "13800001001") == {
        ("teacher", "pending"),
        ("student", "inactive"),
    }
