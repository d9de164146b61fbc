"""The person's side: which school registered them, confirm, dispute, report a wrong course;
the school's admins' side: the open items, listed and resolved."""

from __future__ import annotations

from app.core.pagination import encode_cursor
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, consent, course, person

PHONE = "13800000901"


async def _registered(client, login):
    admin = await login(NORTH_ADMIN)
    course_id = (await client.post(f"{NORTH}/courses", json=course(), headers=admin)).json()["id"]
    batch = {
        "entries": [{"phone": PHONE, "role": "student", "age_band": "adult"}],
        "consent": consent(),
    }
    r = await client.post(f"{NORTH}/courses/{course_id}/enrollments", json=batch, headers=admin)
    return admin, course_id, r.json()["outcomes"][0]


async def test_first_login_shows_the_school_and_confirm(client, schools, login):
    """SCH-2."""
    await _registered(client, login)
    me = await login(PHONE)
    body = (await client.get("/v1/me", headers=me)).json()
    [membership] = body["memberships"]
    assert membership["school"] == "demo-north" and membership["status"] == "pending"
    assert membership["registered_by_school"] is True and membership["registered_at"]
    r = await client.post(f"/v1/me/memberships/{membership['id']}/confirm", headers=me)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["confirmed_at"]
    again = await client.post(f"/v1/me/memberships/{membership['id']}/confirm", headers=me)
    assert again.status_code == 200


async def test_dispute_suspends_and_reaches_the_admins(client, schools, login):
    admin, _course_id, outcome = await _registered(client, login)
    me = await login(PHONE)
    assert (await client.get(f"{NORTH}/courses", headers=me)).status_code == 200
    membership_id = outcome["membership_id"]
    r = await client.post(
        f"/v1/me/memberships/{membership_id}/dispute", json={"note": "never agreed"}, headers=me
    )
    assert r.status_code == 201 and r.json()["kind"] == "membership_disputed"
    retry = await client.post(f"/v1/me/memberships/{membership_id}/dispute", headers=me)
    assert retry.status_code == 200 and retry.json()["id"] == r.json()["id"]
    # Suspended: the school's data is closed to them.
    assert (await client.get(f"{NORTH}/courses", headers=me)).status_code == 404
    issues = (await client.get(f"{NORTH}/roster/issues", headers=admin)).json()["items"]
    assert [(i["kind"], i["note"]) for i in issues] == [("membership_disputed", "never agreed")]
    member = (await client.get(f"{NORTH}/members/{membership_id}", headers=admin)).json()
    assert member["status"] == "disputed"
    r = await client.post(f"{NORTH}/members/{membership_id}/reactivate", headers=admin)
    assert r.status_code == 409
    south = await login(SOUTH_ADMIN)
    assert (await client.get(f"{NORTH}/roster/issues", headers=south)).status_code == 404
    assert (await client.get(f"{SOUTH}/roster/issues", headers=south)).json()["items"] == []
    r = await client.post(f"{SOUTH}/roster/issues/{issues[0]['id']}/resolve", headers=south)
    assert r.status_code == 404
    r = await client.post(f"{NORTH}/roster/issues/{issues[0]['id']}/resolve", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    # Changing their mind: confirming lifts the suspension.
    r = await client.post(f"/v1/me/memberships/{membership_id}/confirm", headers=me)
    assert r.json()["status"] == "active"


async def test_student_reports_a_wrong_course(client, schools, login):
    """SCH-2."""
    admin, _course_id, outcome = await _registered(client, login)
    me = await login(PHONE)
    path = f"/v1/me/enrollments/{outcome['enrollment_id']}/report"
    r = await client.post(path, json={"note": "I take art, not maths"}, headers=me)
    assert r.status_code == 201 and r.json()["kind"] == "wrong_enrollment"
    assert (await client.post(path, headers=me)).status_code == 200
    issues = (await client.get(f"{NORTH}/roster/issues", headers=admin)).json()["items"]
    assert [i["enrollment_id"] for i in issues] == [outcome["enrollment_id"]]
    # Someone else's enrolment, or a made-up id: 404.
    other = await login(NORTH_ADMIN)
    assert (await client.post(path, headers=other)).status_code == 404
    assert (await client.post("/v1/me/enrollments/not-an-id/report", headers=me)).status_code == 404
    assert (
        await client.post(f"/v1/me/memberships/{outcome['membership_id']}/confirm", headers=other)
    ).status_code == 404


async def test_linked_account_sees_nothing_of_the_other_school(client, schools, login):
    _admin, course_id, _outcome = await _registered(client, login)
    south = await login(SOUTH_ADMIN)
    r = await client.post(f"{SOUTH}/members", json=person(PHONE, "student"), headers=south)
    assert r.status_code == 201
    me = await login(PHONE)
    schools_seen = {
        m["school"] for m in (await client.get("/v1/me", headers=me)).json()["memberships"]
    }
    assert schools_seen == {"demo-north", "demo-south"}
    assert (await client.get(f"{SOUTH}/courses", headers=me)).json()["items"] == []
    assert (await client.get(f"{SOUTH}/courses/{course_id}", headers=me)).status_code == 404
    assert (await client.get(f"{SOUTH}/enrollments", headers=me)).json()["items"] == []
    # Disputing the south registration leaves the north one alone.
    r = await client.post(f"/v1/me/memberships/{r.json()['id']}/dispute", headers=me)
    assert r.status_code == 201
    assert len((await client.get(f"{NORTH}/courses", headers=me)).json()["items"]) == 1


async def test_only_the_schools_admins_handle_roster_issues(client, schools, login):
    """Issues are authorised by the policy (member update: school_admin only), as every check."""
    admin, _course_id, outcome = await _registered(client, login)
    me = await login(PHONE)
    r = await client.post(f"/v1/me/memberships/{outcome['membership_id']}/dispute", headers=me)
    issue_id = r.json()["id"]
    teacher, student = "13800000902", "13800000903"
    for body in (person(teacher), person(student, "student")):
        assert (await client.post(f"{NORTH}/members", json=body, headers=admin)).status_code == 201
    for caller in (await login(teacher), await login(student)):
        listed = await client.get(f"{NORTH}/roster/issues", headers=caller)
        assert listed.status_code == 403
        assert listed.headers["content-type"].startswith("application/problem+json")
        resolved = await client.post(f"{NORTH}/roster/issues/{issue_id}/resolve", headers=caller)
        assert resolved.status_code == 403
    still = (await client.get(f"{NORTH}/roster/issues", headers=admin)).json()["items"]
    assert [(i["id"], i["status"]) for i in still] == [(issue_id, "open")]


async def test_roster_issues_answer_a_forged_cursor_with_422(client, schools, login):
    """A cursor this API did not issue is 422 `cursor`, like every other list (#10)."""
    admin = await login(NORTH_ADMIN)
    for forged in (encode_cursor(["not-an-id"]), encode_cursor([]) + "x", "%%%"):
        r = await client.get(f"{NORTH}/roster/issues", params={"cursor": forged}, headers=admin)
        assert r.status_code == 422, forged
        assert r.json()["field"] == "cursor"


async def test_roster_issues_page_by_cursor(client, schools, login):
    admin = await login(NORTH_ADMIN)
    course_id = (await client.post(f"{NORTH}/courses", json=course(), headers=admin)).json()["id"]
    phones = [f"1380000093{i}" for i in range(3)]
    entries = [{"phone": p, "role": "student", "age_band": "adult"} for p in phones]
    r = await client.post(
        f"{NORTH}/courses/{course_id}/enrollments",
        json={"entries": entries, "consent": consent()},
        headers=admin,
    )
    for phone, outcome in zip(phones, r.json()["outcomes"], strict=True):
        me = await login(phone)
        reported = await client.post(
            f"/v1/me/enrollments/{outcome['enrollment_id']}/report", headers=me
        )
        assert reported.status_code == 201
    first = (await client.get(f"{NORTH}/roster/issues", params={"limit": 2}, headers=admin)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (
        await client.get(
            f"{NORTH}/roster/issues", params={"cursor": first["next_cursor"]}, headers=admin
        )
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {i["id"] for i in first["items"] + rest["items"]}
    assert len(seen) == 3
