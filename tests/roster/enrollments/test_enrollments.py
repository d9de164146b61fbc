"""Bulk enrolment by phone, all or nothing (SCH-1); removal stops access (SCH-3)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from app.accounts.models import Account
from app.core.db import set_tenant
from app.roster.models import ConsentAttestation, Enrollment
from app.tenancy.models import Membership
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, consent, course, person


async def _counts(owner, tenant) -> tuple[int, ...]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        out = []
        for model in (Membership, Enrollment, ConsentAttestation):
            q = select(func.count()).select_from(model).where(col(model.tenant_id) == tenant.id)
            out.append(int((await session.execute(q)).scalar_one()))
        out.append(
            int((await session.execute(select(func.count()).select_from(Account))).scalar_one())
        )
        return tuple(out)


async def _course(client, admin) -> str:
    return (await client.post(f"{NORTH}/courses", json=course(), headers=admin)).json()["id"]


async def test_outcome_per_entry_and_registration_in_the_same_request(client, schools, login):
    admin = await login(NORTH_ADMIN)
    await client.post(f"{NORTH}/members", json=person("13800000701"), headers=admin)
    await client.post(f"{NORTH}/members", json=person("13800000702", "student"), headers=admin)
    course_id = await _course(client, admin)
    path = f"{NORTH}/courses/{course_id}/enrollments"
    first = await client.post(
        path, json={"entries": [{"phone": "13800000702", "role": "student"}]}, headers=admin
    )
    assert [o["outcome"] for o in first.json()["outcomes"]] == ["enrolled"]
    batch = {
        "entries": [
            {"phone": "138 0000 0701", "role": "teacher"},
            {"phone": "+8613800000702", "role": "student"},
            {
                "phone": "13800000703",
                "role": "student",
                "age_band": "14to17",
                "guardian_phone": "13800000803",
            },
            {"phone": "13800000704", "role": "student", "guardian_phone": "13800000804"},
        ],
        "consent": consent("guardian"),
    }
    r = await client.post(path, json=batch, headers=admin)
    assert r.status_code == 200, r.text
    outcomes = [o["outcome"] for o in r.json()["outcomes"]]
    assert outcomes == [
        "enrolled",
        "already_enrolled",
        "registered_and_enrolled",
        "registered_and_enrolled",
    ]
    assert r.json()["outcomes"][0]["phone_masked"] == "+86 138****0701"
    retry = await client.post(path, json=batch, headers=admin)
    assert {o["outcome"] for o in retry.json()["outcomes"]} == {"already_enrolled"}
    listed = (await client.get(path, headers=admin)).json()["items"]
    assert len(listed) == 4
    # The student without an age band was taken to be under 14: registered with a guardian.
    members = (
        await client.get(f"{NORTH}/members", params={"role": "guardian"}, headers=admin)
    ).json()
    assert len(members["items"]) == 2


async def test_any_bad_entry_rejects_the_whole_batch_and_writes_nothing(
    client, schools, login, owner
):
    admin = await login(NORTH_ADMIN)
    course_id = await _course(client, admin)
    await client.post(f"{NORTH}/members", json=person("13800000711"), headers=admin)
    before = await _counts(owner, schools["demo-north"])
    batch = {
        "entries": [
            {"phone": "13800000711", "role": "teacher"},
            {"phone": "not-a-phone", "role": "student"},
            {"phone": "13800000712", "role": "student", "age_band": "under14"},
            {"phone": "13800000711", "role": "teacher"},
            {"phone": "13800000713", "role": "student", "age_band": "adult"},
        ],
        "consent": consent("self"),
    }
    r = await client.post(f"{NORTH}/courses/{course_id}/enrollments", json=batch, headers=admin)
    assert r.status_code == 422
    bad = {e["field"] for e in r.json()["errors"]}
    assert {"entries.1.phone", "entries.2.guardian_phone", "entries.3.phone"} <= bad
    assert not any(f.startswith("entries.0") or f.startswith("entries.4") for f in bad)
    assert await _counts(owner, schools["demo-north"]) == before
    by_guardian = {
        "entries": [{"phone": "13800000715", "role": "teacher"}],
        "consent": consent("guardian"),
    }
    r = await client.post(
        f"{NORTH}/courses/{course_id}/enrollments", json=by_guardian, headers=admin
    )
    assert r.status_code == 422 and r.json()["field"] == "consent.given_by"
    assert r.json()["errors"][0]["message"].startswith("entry 0 (teacher)")
    no_consent = {"entries": [{"phone": "13800000714", "role": "teacher"}]}
    r = await client.post(
        f"{NORTH}/courses/{course_id}/enrollments", json=no_consent, headers=admin
    )
    assert r.status_code == 422 and r.json()["field"] == "consent"
    assert await _counts(owner, schools["demo-north"]) == before


async def test_removal_stops_access(client, schools, login):
    admin = await login(NORTH_ADMIN)
    course_id = await _course(client, admin)
    batch = {"entries": [{"phone": "13800000721", "role": "teacher"}], "consent": consent()}
    r = await client.post(f"{NORTH}/courses/{course_id}/enrollments", json=batch, headers=admin)
    enrollment_id = r.json()["outcomes"][0]["enrollment_id"]
    teacher = await login("13800000721")
    assert len((await client.get(f"{NORTH}/courses", headers=teacher)).json()["items"]) == 1
    south = await login(SOUTH_ADMIN)
    for path in (
        f"{NORTH}/courses/{course_id}/enrollments/{enrollment_id}",
        f"{SOUTH}/courses/{course_id}/enrollments/{enrollment_id}",
    ):
        assert (await client.delete(path, headers=south)).status_code == 404
    assert (
        await client.delete(
            f"{NORTH}/courses/{course_id}/enrollments/{enrollment_id}", headers=teacher
        )
    ).status_code == 403
    path = f"{NORTH}/courses/{course_id}/enrollments/{enrollment_id}"
    assert (await client.delete(path, headers=admin)).status_code == 204
    assert (await client.delete(path, headers=admin)).status_code == 204
    assert (await client.get(f"{NORTH}/courses", headers=teacher)).json()["items"] == []
    assert (await client.get(f"{NORTH}/courses/{course_id}", headers=teacher)).status_code == 404
    again = await client.post(f"{NORTH}/courses/{course_id}/enrollments", json=batch, headers=admin)
    assert again.json()["outcomes"][0]["outcome"] == "enrolled"
    assert again.json()["outcomes"][0]["enrollment_id"] == enrollment_id


async def test_guardian_sees_children_courses(client, schools, login):
    admin = await login(NORTH_ADMIN)
    course_id = await _course(client, admin)
    batch = {
        "entries": [{"phone": "13800000731", "role": "student", "guardian_phone": "13800000831"}],
        "consent": consent("guardian"),
    }
    await client.post(f"{NORTH}/courses/{course_id}/enrollments", json=batch, headers=admin)
    other = await client.post(f"{NORTH}/courses", json=course("OTHER"), headers=admin)
    guardian = await login("13800000831")
    courses = (await client.get(f"{NORTH}/courses", headers=guardian)).json()["items"]
    assert [c["id"] for c in courses] == [course_id]
    assert (
        await client.get(f"{NORTH}/courses/{other.json()['id']}", headers=guardian)
    ).status_code == 404
    mine = (await client.get(f"{NORTH}/enrollments", headers=guardian)).json()["items"]
    assert len(mine) == 1 and mine[0]["role"] == "student"
