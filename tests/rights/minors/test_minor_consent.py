"""A minor using the service without guardian consent (MIN-7, MIN-8, applied to a school's
minors): the report suspends the membership and opens an item for the school's admins;
without consent the minor's data in the school is deleted through a deletion request."""

from __future__ import annotations

from sqlalchemy import update

from app.core.db import set_tenant
from app.tenancy.models import Membership
from tests.classroom.conftest import (
    CLASSMATE,
    GUARDIAN,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    SOUTH_STUDENT,
    STUDENT,
    event,
    send,
    world,
)

__all__ = ["world"]
REPORT = "/v1/me/reports/minor-consent"
ISSUES = "/v1/tenants/demo-north/roster/issues"


async def _seed(client, world) -> None:
    batch = [
        event(world, "attendance.joined", 0, who=STUDENT),
        event(world, "behaviour.hand_raised", 1, who=STUDENT),
        event(world, "attendance.joined", 0, who=CLASSMATE),
        event(world, "behaviour.hand_raised", 2, who=CLASSMATE),
    ]
    response = await send(client, world.key, batch)
    assert response.status_code == 202, response.text


async def _people_in_events(client, admin, world) -> set[str]:
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    response = await client.get(url, headers=admin)
    assert response.status_code == 200, response.text
    return {item["user"] for item in response.json()["items"]}


async def test_a_guardians_report_suspends_and_the_school_deletes_without_consent(
    client, login, world
):
    """MIN-7: the guardian reports it and the minor's service in the school stops; MIN-8:
    the school finds no consent, the membership ends and the minor's data there is deleted."""
    await _seed(client, world)
    student, classmate = world.user(STUDENT), world.user(CLASSMATE)
    admin, guardian = await login(NORTH_ADMIN), await login(GUARDIAN)
    minor = await login(STUDENT)
    before = await client.get(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/events", headers=minor
    )
    assert before.status_code == 200

    body = {"school": "demo-north", "note": "I never signed the school's form"}
    unknown = await client.post(
        f"{REPORT}?student={student}", json={"school": "demo-south"}, headers=guardian
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "school"
    stranger = await client.post(
        f"{REPORT}?student={student}", json=body, headers=await login(SOUTH_STUDENT)
    )
    assert stranger.status_code == 404 and stranger.json()["field"] == "student"
    filed = await client.post(f"{REPORT}?student={student}", json=body, headers=guardian)
    assert filed.status_code == 201, filed.text
    item = filed.json()
    assert (item["kind"], item["account_id"], item["status"]) == (
        "minor_without_consent",
        student,
        "open",
    )
    again = await client.post(f"{REPORT}?student={student}", json=body, headers=guardian)
    assert again.status_code == 200 and again.json()["id"] == item["id"]

    # The minor's service in the school stops at once, and they cannot lift it themselves.
    suspended = await client.get(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/events", headers=minor
    )
    assert suspended.status_code == 404
    mine = (await client.get("/v1/me", headers=minor)).json()["memberships"]
    north = next(m for m in mine if m["school"] == "demo-north")
    assert north["status"] == "suspended"
    relift = await client.post(f"/v1/me/memberships/{north['id']}/confirm", headers=minor)
    assert relift.status_code == 409

    listed = await client.get(ISSUES, headers=admin)
    assert [i["id"] for i in listed.json()["items"]] == [item["id"]]
    generic = await client.post(f"{ISSUES}/{item['id']}/resolve", headers=admin)
    assert generic.status_code == 409
    decide = f"{ISSUES}/{item['id']}/minor-consent"
    south = await login(SOUTH_ADMIN)
    assert (await client.post(decide, json={"consent": "absent"}, headers=south)).status_code == 404
    south_path = f"/v1/tenants/demo-south/roster/issues/{item['id']}/minor-consent"
    assert (
        await client.post(south_path, json={"consent": "absent"}, headers=south)
    ).status_code == 404
    bad = await client.post(decide, json={"consent": "maybe"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "consent"
    assert await _people_in_events(client, admin, world) == {student, classmate}

    done = await client.post(decide, json={"consent": "absent", "note": "no form"}, headers=admin)
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["membership_status"] == "inactive"
    assert result["issue"]["status"] == "resolved" and result["issue"]["outcome"] == "absent"
    assert result["erased"]["classroom_event"] == 2
    assert result["erased"]["enrollment"] == 2 and result["erased"]["guardianship"] == 1
    retry = await client.post(decide, json={"consent": "absent"}, headers=admin)
    assert retry.status_code == 200 and retry.json()["issue"]["id"] == item["id"]
    change = await client.post(decide, json={"consent": "confirmed"}, headers=admin)
    assert change.status_code == 409

    # The minor's data in the school is gone; the classmate's is not.
    assert await _people_in_events(client, admin, world) == {classmate}
    enrolled = await client.get(
        f"/v1/tenants/demo-north/courses/{world.course}/enrollments", headers=admin
    )
    assert student not in {e["account_id"] for e in enrolled.json()["items"]}
    # Through the existing deletion path: a deletion request, done, grounds without_consent.
    requests = (await client.get("/v1/tenants/demo-north/requests", headers=admin)).json()
    part = next(
        p for p in requests["items"] if p["request_id"] == result["issue"]["rights_request_id"]
    )
    assert (part["type"], part["grounds"], part["status"]) == (
        "deletion",
        "without_consent",
        "done",
    )
    assert any("carried out" in (s["note"] or "") for s in part["history"])
    audit = await client.get("/v1/tenants/demo-north/audit?kind=member", headers=admin)
    decided = [e["detail"] for e in audit.json()["items"] if "minor_consent" in e["detail"]]
    assert decided and decided[0]["minor_consent"] == "absent"


async def test_the_minor_reports_it_and_the_school_confirms_the_consent(
    client, login, owner, world
):
    """MIN-7 by the minor themself; with the guardian's consent on file service resumes. An
    adult student's report is refused."""
    await _seed(client, world)
    minor = await login(CLASSMATE)
    filed = await client.post(REPORT, json={"school": "demo-north"}, headers=minor)
    assert filed.status_code == 201, filed.text
    assert "the minor" in filed.json()["note"]
    events = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    assert (await client.get(events, headers=minor)).status_code == 404
    admin = await login(NORTH_ADMIN)
    decided = await client.post(
        f"{ISSUES}/{filed.json()['id']}/minor-consent",
        json={"consent": "confirmed", "note": "the guardian's form is on file"},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["membership_status"] in ("active", "pending")
    assert decided.json()["erased"] == {}
    assert (await client.get(events, headers=minor)).status_code == 200
    assert world.user(CLASSMATE) in await _people_in_events(client, admin, world)

    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        await session.execute(
            update(Membership)
            .where(Membership.account_id == world.people[STUDENT])  # type: ignore[arg-type]
            .values(age_band="adult")
        )
    adult = await client.post(REPORT, json={"school": "demo-north"}, headers=await login(STUDENT))
    assert adult.status_code == 409 and adult.json()["field"] == "school"
