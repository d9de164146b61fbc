"""One roster entry by id within the caller's scope, and the audit entry every read leaves."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from app.authz.models import AuditEntry, AuditSubject
from app.core.db import set_tenant
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, consent, course


async def _world(client, login):
    admin = await login(NORTH_ADMIN)
    ids = {}
    for code, teacher, student in (
        ("A", "13800000951", "13800000961"),
        ("B", "13800000952", "13800000962"),
    ):
        c = (await client.post(f"{NORTH}/courses", json=course(code), headers=admin)).json()["id"]
        path = f"{NORTH}/courses/{c}/enrollments"
        teachers = {"entries": [{"phone": teacher, "role": "teacher"}], "consent": consent()}
        assert (await client.post(path, json=teachers, headers=admin)).status_code == 200
        guardian = f"1380000097{code == 'B':d}"
        students = {
            "entries": [{"phone": student, "role": "student", "guardian_phone": guardian}],
            "consent": consent("guardian"),
        }
        r = await client.post(path, json=students, headers=admin)
        assert r.status_code == 200, r.text
        ids[code] = {"course": c, "student": r.json()["outcomes"][0]["membership_id"]}
    return admin, ids


async def test_member_by_id_follows_the_scopes(client, schools, login):
    admin, ids = await _world(client, login)
    teacher_a = await login("13800000951")
    assert (
        await client.get(f"{NORTH}/members/{ids['A']['student']}", headers=teacher_a)
    ).status_code == 200
    assert (
        await client.get(f"{NORTH}/members/{ids['B']['student']}", headers=teacher_a)
    ).status_code == 404
    guardian_a = await login("13800000970")
    r = await client.get(f"{NORTH}/members/{ids['A']['student']}", headers=guardian_a)
    assert r.status_code == 200 and "*" in r.json()["phone_masked"]
    assert (
        await client.get(f"{NORTH}/members/{ids['B']['student']}", headers=guardian_a)
    ).status_code == 404
    student_a = await login("13800000961")
    assert (
        await client.get(f"{NORTH}/members/{ids['A']['student']}", headers=student_a)
    ).status_code == 200
    assert (
        await client.get(f"{NORTH}/members/{ids['B']['student']}", headers=student_a)
    ).status_code == 404
    south = await login(SOUTH_ADMIN)
    assert (
        await client.get(f"{NORTH}/members/{ids['A']['student']}", headers=south)
    ).status_code == 404
    assert (
        await client.get(f"{SOUTH}/members/{ids['A']['student']}", headers=south)
    ).status_code == 404
    assert (await client.get(f"{NORTH}/members/not-an-id", headers=admin)).status_code == 404


async def test_reads_and_changes_are_audited_with_their_subjects(client, schools, login, owner):
    admin, ids = await _world(client, login)
    north = schools["demo-north"]
    r = await client.get(f"{NORTH}/courses/{ids['A']['course']}/enrollments", headers=admin)
    enrolled = {e["account_id"] for e in r.json()["items"]}
    async with owner.db.session() as session:
        await set_tenant(session, north.id)
        entries = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(col(AuditEntry.tenant_id) == north.id)
                    .order_by(col(AuditEntry.id))
                )
            )
            .scalars()
            .all()
        )
        last = entries[-1]
        subjects = set(
            (
                await session.execute(
                    select(AuditSubject.account_id).where(col(AuditSubject.entry_id) == last.id)
                )
            ).scalars()
        )
    assert (last.record_kind, last.action, last.purpose) == (
        "enrollment",
        "list",
        "teaching_management",
    )
    assert {str(s) for s in subjects} == enrolled
    changes = [(e.record_kind, e.action) for e in entries]
    assert ("course", "create") in changes and ("enrollment", "create") in changes
