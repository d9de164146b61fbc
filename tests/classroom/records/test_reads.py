"""Reads go through the policy: who sees which events, rollups and spans of a lesson."""

from __future__ import annotations

from sqlalchemy import select

from app.authz.models import AuditEntry, AuditSubject
from app.core.db import set_tenant
from tests.classroom.conftest import (
    CLASSMATE,
    GUARDIAN,
    NORTH_ADMIN,
    OTHER_TEACHER,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    event,
    send,
)


async def _seed(client, world) -> None:
    batch = [
        event(world, "attendance.joined", 0, who=STUDENT),
        event(world, "behaviour.hand_raised", 1, who=STUDENT),
        event(world, "attendance.joined", 0, who=CLASSMATE),
        event(world, "behaviour.hand_raised", 2, who=CLASSMATE),
        event(world, "diagnostics.sample", 3, who=STUDENT, latency_ms=20.0),
        event(world, "teacher.muted", 4, who=TEACHER),
        event(world, "courseware.page", 5, who=TEACHER, courseware="cw", page=2),
    ]
    response = await send(client, world.key, batch)
    assert response.status_code == 202, response.text


def _url(world, what: str, lesson=None) -> str:
    return f"/v1/tenants/demo-north/lessons/{lesson or world.lesson}/{what}"


async def _users(client, headers, url, **params) -> set[str]:
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {
        i.get("user") if isinstance(i.get("user"), str) else i["user"]["id"]
        for i in response.json()["items"]
    }


async def test_student_sees_only_their_own_record_and_no_diagnostics(client, login, world):
    """VIS-3."""
    await _seed(client, world)
    student = await login(STUDENT)
    mine = {world.user(STUDENT)}
    assert await _users(client, student, _url(world, "events")) == mine
    assert (
        await _users(client, student, _url(world, "events"), person=world.user(CLASSMATE)) == set()
    )
    assert await _users(client, student, _url(world, "rollups")) == mine
    assert await _users(client, student, _url(world, "attendance")) == mine
    diagnostics = await client.get(
        _url(world, "events"), headers=student, params={"purpose": "technical_support"}
    )
    assert diagnostics.status_code == 403
    by_kind = await client.get(
        _url(world, "events"), headers=student, params={"kind": "diagnostics.sample"}
    )
    assert by_kind.status_code == 403
    quality = await client.get(
        _url(world, "events"), headers=student, params={"purpose": "teaching_quality"}
    )
    assert quality.status_code == 403


async def test_guardian_sees_their_child(client, login, world):
    await _seed(client, world)
    guardian = await login(GUARDIAN)
    assert await _users(client, guardian, _url(world, "events")) == {world.user(STUDENT)}
    assert await _users(client, guardian, _url(world, "rollups")) == {world.user(STUDENT)}


async def test_teacher_sees_their_lesson_and_only_their_own_teacher_actions(client, login, world):
    await _seed(client, world)
    teacher = await login(TEACHER)
    everyone = {world.user(STUDENT), world.user(CLASSMATE)}
    assert await _users(client, teacher, _url(world, "events")) == everyone
    assert await _users(client, teacher, _url(world, "events"), purpose="teaching_quality") == {
        world.user(TEACHER)
    }
    refused = await client.get(
        _url(world, "events"), headers=teacher, params={"purpose": "technical_support"}
    )
    assert refused.status_code == 403


async def test_teacher_of_another_course_and_other_schools_get_404(client, login, world):
    await _seed(client, world)
    other = await login(OTHER_TEACHER)
    south = await login(SOUTH_ADMIN)
    for what in ("events", "attendance", "rollups", "recordings"):
        assert (await client.get(_url(world, what), headers=other)).status_code == 404, what
        assert (await client.get(_url(world, what), headers=south)).status_code == 404, what
    # The south admin asking in their own school for the north lesson: unknown there too.
    response = await client.get(
        f"/v1/tenants/demo-south/lessons/{world.lesson}/events", headers=south
    )
    assert response.status_code == 404
    assert (await client.get(_url(world, "events", "not-an-id"), headers=other)).status_code == 404


async def test_filters_and_pagination(client, login, world):
    batch = [event(world, "behaviour.hand_raised", m, who=STUDENT) for m in range(7)]
    batch.append(event(world, "attendance.joined", 0, who=CLASSMATE))
    await send(client, world.key, batch)
    admin = await login(NORTH_ADMIN)
    url = _url(world, "events")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "kind": "behaviour.hand_raised"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, headers=admin, params=params)).json()
        seen += [i["at"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 7
    window = await client.get(
        url,
        headers=admin,
        params={"from": "2026-11-20T10:02:00Z", "to": "2026-11-20T10:04:00Z"},
    )
    assert [i["at"] for i in window.json()["items"]] == [
        "2026-11-20T10:02:00Z",
        "2026-11-20T10:03:00Z",
    ]
    person = await client.get(url, headers=admin, params={"person": world.user(CLASSMATE)})
    assert [i["kind"] for i in person.json()["items"]] == ["attendance.joined"]
    bad = await client.get(url, headers=admin, params={"kind": "nope"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"


async def test_reads_are_audited_with_their_subjects(client, login, owner, world):
    await _seed(client, world)
    teacher = await login(TEACHER)
    await client.get(_url(world, "rollups"), headers=teacher)
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        entry = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.tenant_id == world.north.id, AuditEntry.record_kind == "rollup"
                )
            )
        ).scalar_one()
        subjects = (
            await session.execute(
                select(AuditSubject.account_id).where(AuditSubject.entry_id == entry.id)
            )
        ).scalars()
        assert entry.actor_id == world.people[TEACHER]
        assert entry.purpose == "teaching_management"
        assert set(subjects) == {
            world.people[STUDENT],
            world.people[CLASSMATE],
            world.people[TEACHER],
        }


async def _remove_from_course(client, admin, world, phone: str) -> None:
    base = f"/v1/tenants/demo-north/courses/{world.course}/enrollments"
    listed = await client.get(base, headers=admin, params={"limit": 500})
    assert listed.status_code == 200, listed.text
    (entry,) = [e for e in listed.json()["items"] if e["account_id"] == world.user(phone)]
    removed = await client.delete(f"{base}/{entry['id']}", headers=admin)
    assert removed.status_code == 204, removed.text


async def test_taken_off_the_course_their_own_events_answer_404(client, login, world):
    """SCH-3: the lesson's visibility is checked in the same query as its events, so a
    student's own events do not keep a lesson of a course they left reachable."""
    await _seed(client, world)
    student, teacher = await login(STUDENT), await login(TEACHER)
    assert await _users(client, student, _url(world, "events")) == {world.user(STUDENT)}
    admin = await login(NORTH_ADMIN)
    await _remove_from_course(client, admin, world, STUDENT)
    await _remove_from_course(client, admin, world, TEACHER)
    for who in (student, teacher):
        response = await client.get(_url(world, "events"), headers=who)
        assert response.status_code == 404, response.text
    assert await _users(client, admin, _url(world, "events")) == {
        world.user(STUDENT),
        world.user(CLASSMATE),
    }


async def test_a_lesson_with_no_events_answers_an_empty_page(client, login, world):
    teacher = await login(TEACHER)
    response = await client.get(_url(world, "events"), headers=teacher)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}
    other = await login(OTHER_TEACHER)
    assert (await client.get(_url(world, "events"), headers=other)).status_code == 404
