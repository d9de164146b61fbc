"""Diagnostics are collected jointly by the school and Rostra (CLS-20), and the technical
support purpose reaches course information and diagnostics only (PUR-13)."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.service import get_or_create_account
from app.core import clock
from app.core.phones import normalize
from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN, STUDENT, TEACHER, event, send

STAFF = "+8613600000007"
SUPPORT = {"purpose": "technical_support"}
SUPPORT_KINDS = ["course", "lesson", "attendance", "member", "diagnostics"]


async def _staff(owner) -> None:
    async with owner.db.session() as session:
        account, _ = await get_or_create_account(session, owner.keys, normalize(STAFF), "Staff")
        account.is_staff = True


async def _seed(client, world) -> None:
    batch = [
        event(world, "attendance.joined", 0, who=STUDENT),
        event(world, "behaviour.hand_raised", 1, who=STUDENT),
        event(world, "diagnostics.sample", 2, who=STUDENT, latency_ms=20.0),
        event(world, "teacher.muted", 3, who=TEACHER),
        event(world, "courseware.page", 4, who=TEACHER, courseware="cw", page=2),
    ]
    response = await send(client, world.key, batch)
    assert response.status_code == 202, response.text


async def _grant(client, admin, slug: str, kinds: list[str]):
    body = {
        "staff_phone": STAFF,
        "record_kinds": kinds,
        "purpose": "technical_support",
        "expires_at": (clock.now() + timedelta(days=1)).isoformat(),
        "reason": "ticket 88: a student's video stalls",
    }
    return await client.post(f"/v1/tenants/{slug}/support-grants", json=body, headers=admin)


def _kinds(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["kind"] for item in response.json()["items"])


async def test_diagnostics_are_read_by_the_schools_admins_and_by_support_not_another_school(
    client, login, owner, world
):
    """CLS-20: the jointly collected diagnostics are the school's and the platform's (under
    a grant the school issued); another school's admin, and staff without the school's
    grant, get 404."""
    await _seed(client, world)
    await _staff(owner)
    events = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    diagnostics = {**SUPPORT, "kind": "diagnostics.sample"}
    admin, staff, south = await login(NORTH_ADMIN), await login(STAFF), await login(SOUTH_ADMIN)

    school = await client.get(events, params=diagnostics, headers=admin)
    assert _kinds(school) == ["diagnostics.sample"]
    assert school.json()["items"][0]["user"] == world.user(STUDENT)

    assert (await client.get(events, params=diagnostics, headers=staff)).status_code == 404
    elsewhere = await _grant(client, south, "demo-south", ["diagnostics"])
    assert elsewhere.status_code == 201, elsewhere.text  # a grant of the other school
    assert (await client.get(events, params=diagnostics, headers=staff)).status_code == 404
    assert (await _grant(client, admin, "demo-north", ["diagnostics"])).status_code == 201
    platform = await client.get(events, params=diagnostics, headers=staff)
    assert platform.json()["items"] == school.json()["items"]

    assert (await client.get(events, params=diagnostics, headers=south)).status_code == 404
    own_path = f"/v1/tenants/demo-south/lessons/{world.lesson}/events"
    assert (await client.get(own_path, params=diagnostics, headers=south)).status_code == 404
    # Within the school, diagnostics are not every role's: a teacher is refused.
    teacher = await client.get(events, params=diagnostics, headers=await login(TEACHER))
    assert teacher.status_code == 403


async def test_technical_support_reaches_course_information_and_diagnostics_only(
    client, login, owner, world
):
    """PUR-13: course name and times, who was there (entry, exit and reason) and gateway /
    diagnostics data; not behaviour, teacher actions, courseware, rollups or recordings."""
    await _seed(client, world)
    await _staff(owner)
    admin, staff = await login(NORTH_ADMIN), await login(STAFF)
    for outside in (["recording"], ["behaviour"], ["rollup"], ["snapshot"], ["teacher_action"]):
        refused = await _grant(client, admin, "demo-north", outside)
        assert refused.status_code == 422, outside
        assert refused.json()["field"] == "record_kinds"
    assert (await _grant(client, admin, "demo-north", SUPPORT_KINDS)).status_code == 201

    lesson = f"/v1/tenants/demo-north/lessons/{world.lesson}"
    everything = await client.get(f"{lesson}/events", params=SUPPORT, headers=staff)
    assert _kinds(everything) == ["diagnostics.sample"]  # entries and exits come as spans
    spans = await client.get(f"{lesson}/attendance", params=SUPPORT, headers=staff)
    assert spans.status_code == 200, spans.text
    span = spans.json()["items"][0]
    assert {"joined_at", "left_at", "leave_reason"} <= set(span)
    assert span["user"]["id"] == world.user(STUDENT)
    courses = await client.get("/v1/tenants/demo-north/courses", params=SUPPORT, headers=staff)
    assert courses.status_code == 200, courses.text
    assert str(world.course) in {c["id"] for c in courses.json()["items"]}
    assert (
        await client.get("/v1/tenants/demo-north/members", params=SUPPORT, headers=staff)
    ).status_code == 200

    for kind in ("behaviour.hand_raised", "teacher.muted", "courseware.page"):
        one = await client.get(f"{lesson}/events", params={**SUPPORT, "kind": kind}, headers=staff)
        assert one.status_code == 403 and one.json()["field"] == "purpose", kind
        # The school's own admin is held to the same purpose when naming it.
        mine = await client.get(f"{lesson}/events", params={**SUPPORT, "kind": kind}, headers=admin)
        assert mine.status_code == 403 and mine.json()["field"] == "purpose", kind
    # Under the support grant nothing outside its purpose is read, whatever purpose is named.
    for path, params in (
        ("events", {}),
        ("events", {"purpose": "teaching_management"}),
        ("rollups", {}),
        ("recordings", {}),
        ("snapshots", {}),
    ):
        read = await client.get(f"{lesson}/{path}", params=params, headers=staff)
        assert read.status_code in (403, 404), (path, params, read.text)
        assert "items" not in read.json()
