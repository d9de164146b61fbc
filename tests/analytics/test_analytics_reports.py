"""School reports (issue #12): course management, teaching quality, and de-identified
statistics with k = 5 suppression, proven to hold nothing that ties a row to a person."""

from __future__ import annotations

import re

from app.core.db import set_tenant
from app.roster.models import Enrollment
from tests.analytics.conftest import add_lessons, hold_lesson, whole_lesson
from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    event,
    send,
)
from tests.factories import add_member

R = "/v1/tenants/demo-north/reports"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def _diagnostics(client, w) -> None:
    samples = [
        event(w, "diagnostics.sample", 5, who=STUDENT, latency_ms=100, packet_loss=0.01),
        event(w, "diagnostics.sample", 6, who=STUDENT, latency_ms=300, packet_loss=0.01),
        event(w, "diagnostics.sample", 7, who=CLASSMATE, latency_ms=900, packet_loss=0.04),
    ]
    assert (await send(client, w.key, samples)).status_code == 202


async def test_course_report(client, login, owner, analytics_world):
    """ROL-3."""
    w = analytics_world
    await hold_lesson(client, w)
    await add_lessons(owner, w, [400])  # planned, not held yet
    await _diagnostics(client, w)
    response = await client.get(R + "/courses", headers=await login(NORTH_ADMIN))
    assert response.status_code == 200, response.text
    rows = {row["course"]["code"]: row for row in response.json()["items"]}
    a = rows["A"]
    assert (a["lessons_planned"], a["lessons_held"], a["students"]) == (2, 1, 3)
    assert a["mean_start_delay_minutes"] == 2.0  # started 10:02 for 10:00
    assert a["mean_duration_minutes"] == 60.0
    assert a["mean_on_stage"] == 1.0
    assert a["attendance_rate"] == 0.667  # 2 of 3 enrolled came
    assert [t["id"] for t in a["teachers"]] == [w.user(TEACHER)]
    qos = a["quality_of_service"]
    # Mean latency of the lesson (100 + 300 + 900) / 3 = 433 ms > 400 ms: a problem lesson.
    assert qos == {
        "lessons_with_samples": 1,
        "mean_latency_ms": 433.33,
        "mean_packet_loss": 0.02,
        "lessons_with_problems_share": 1.0,
    }
    # No person's device data in the summary: no student appears anywhere in it.
    for phone in (STUDENT, CLASSMATE):
        assert w.user(phone) not in response.text
    assert (
        rows["B"]["lessons_held"] == 1
        and rows["B"]["quality_of_service"]["lessons_with_samples"] == 0
    )


async def test_teaching_quality_report(client, login, analytics_world):
    """ROL-2."""
    w = analytics_world
    await hold_lesson(client, w)
    response = await client.get(R + "/teaching-quality", headers=await login(NORTH_ADMIN))
    assert response.status_code == 200, response.text
    rows = {row["teacher"]["id"]: row for row in response.json()["items"]}
    mine = rows[w.user(TEACHER)]
    assert mine["lessons_taught"] == 1 and mine["mean_start_delay_minutes"] == 2.0
    assert mine["courseware_opened"] == 1
    assert mine["teacher_actions"] == {"teacher.muted": 1, "teacher.rewarded": 1}
    # A teacher sees the report of their own courses only; a student none at all.
    own = await client.get(R + "/teaching-quality", headers=await login(TEACHER))
    assert own.status_code == 200
    assert [r["teacher"]["id"] for r in own.json()["items"]] == [w.user(TEACHER)]
    assert (
        await client.get(R + "/teaching-quality", headers=await login(STUDENT))
    ).status_code == 403


async def _class_of_seven(client, owner, w) -> None:
    """Course A gets 4 more students: 6 of 7 come to a second lesson and raise a hand
    (STUDENT and CLASSMATE raised theirs in the first too); STUDENT alone uses the buzzer."""
    extra = []
    for n in range(4):
        account, _ = await add_member(
            owner, w.north, f"+861380000030{n + 5}", "student", name=f"新生 {n}"
        )
        w.people[f"extra{n}"] = account.id
        extra.append(f"extra{n}")
    async with owner.db.session() as session:
        await set_tenant(session, w.north.id)
        for phone in extra:
            session.add(
                Enrollment(
                    tenant_id=w.north.id,
                    course_id=w.course,
                    account_id=w.people[phone],
                    role="student",
                )
            )
    [second] = await add_lessons(owner, w, [7])
    events = []
    for who in [STUDENT, CLASSMATE, *extra]:
        events += whole_lesson(w, second, 7, who)
        events.append(event(w, "behaviour.hand_raised", 7 * 1440 + 10, who=who, lesson=second))
    events.append(
        event(w, "tool.buzzer", 7 * 1440 + 11, who=STUDENT, lesson=second, result="first")
    )
    assert (await send(client, w.key, events)).status_code == 202


async def test_deidentified_report_suppresses_small_groups_and_names_no_one(
    client, login, owner, analytics_world
):
    """AUZ-9: VIS-5/6, PUR-14/15: no row can be tied to a person."""
    w = analytics_world
    await hold_lesson(client, w)
    await _class_of_seven(client, owner, w)
    response = await client.get(R + "/deidentified", headers=await login(NORTH_ADMIN))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["k"] == 5 and body["lessons_held"] == 3
    assert body["lessons_by_period"] == [
        {"period": "2026-W47", "lessons": 2},
        {"period": "2026-W48", "lessons": 1},
    ]
    bands = {row["group"]: row for row in body["attendance_distribution"]}
    # 6 students were there for all of the second lesson; the other bands hold fewer than 5.
    assert bands["76-100%"] == {"group": "76-100%", "suppressed": False, "people": 6, "count": 7}
    # Absent: ABSENTEE twice, the four newcomers from the first lesson, STUDENT from B's.
    assert bands["absent"] == {"group": "absent", "suppressed": False, "people": 6, "count": 7}
    assert bands["1-25%"]["suppressed"] is True  # CLASSMATE alone: 6 of 60 minutes
    assert bands["1-25%"]["people"] is None and bands["1-25%"]["count"] is None
    tools = {row["group"]: row for row in body["participation_by_tool"]}
    assert (
        tools["behaviour.hand_raised"]["people"] == 6
        and not tools["behaviour.hand_raised"]["suppressed"]
    )
    assert tools["tool.buzzer"] == {
        "group": "tool.buzzer",
        "suppressed": True,
        "people": None,
        "count": None,
    }
    # The proof: no identifier, name, phone or join key anywhere; every row shown stands
    # for at least k people, and a suppressed row carries no figure at all.
    assert UUID.search(response.text) is None
    for name in ("student", "新生", "学生", "138", "+86"):
        assert name not in response.text
    for row in body["attendance_distribution"] + body["participation_by_tool"]:
        assert set(row) == {"group", "suppressed", "people", "count"}
        if row["suppressed"]:
            assert row["people"] is None and row["count"] is None
        else:
            assert row["people"] >= 5
    days = await client.get(
        R + "/deidentified", params={"period": "day"}, headers=await login(NORTH_ADMIN)
    )
    assert [p["period"] for p in days.json()["lessons_by_period"]] == ["2026-11-20", "2026-11-27"]
    bad = await client.get(
        R + "/deidentified", params={"period": "year"}, headers=await login(NORTH_ADMIN)
    )
    assert bad.status_code == 422


async def test_reports_of_another_school_are_404(client, login, analytics_world):
    for path in ("/courses", "/teaching-quality", "/deidentified"):
        response = await client.get(R + path, headers=await login(SOUTH_ADMIN))
        assert response.status_code == 404, path


STAFF_PHONE = "+8613800009999"


async def _staff(owner) -> None:
    from sqlalchemy import update

    from app.accounts.models import Account
    from app.accounts.service import get_or_create_account
    from app.core.phones import normalize

    async with owner.db.session() as session:
        staff, _ = await get_or_create_account(session, owner.keys, normalize(STAFF_PHONE), "Ops")
        await session.execute(
            update(Account).where(Account.id == staff.id).values(is_staff=True)  # type: ignore[arg-type]
        )


async def test_platform_deidentified_report_adds_schools_up_for_staff_only(
    client, login, owner, analytics_world
):
    """VIS-5, PUR-14: platform statistics over every school, staff only, no identifiers;
    each school's audit log records the read."""
    from sqlalchemy import select

    from app.authz.models import AuditEntry

    w = analytics_world
    await hold_lesson(client, w)
    await _class_of_seven(client, owner, w)
    path = "/v1/platform/reports/deidentified"
    assert (await client.get(path)).status_code == 401
    assert (await client.get(path, headers=await login(NORTH_ADMIN))).status_code == 403
    north = (await client.get(R + "/deidentified", headers=await login(NORTH_ADMIN))).json()
    south_path = "/v1/tenants/demo-south/reports/deidentified"
    south = (await client.get(south_path, headers=await login(SOUTH_ADMIN))).json()
    await _staff(owner)
    response = await client.get(path, headers=await login(STAFF_PHONE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert UUID.search(response.text) is None
    assert body["lessons_held"] == north["lessons_held"] + south["lessons_held"]
    shown = {r["group"]: r for r in body["attendance_distribution"] + body["participation_by_tool"]}
    for school in (north, south):
        for row in school["attendance_distribution"] + school["participation_by_tool"]:
            if not row["suppressed"]:  # a group shown in one school is shown, at least as large
                assert shown[row["group"]]["people"] >= row["people"]
                assert shown[row["group"]]["count"] >= row["count"]
    for row in shown.values():
        assert row["suppressed"] or row["people"] >= 5
    async with owner.db.session() as session:
        entries = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.actor_kind == "platform_staff")
                )
            )  # type: ignore[arg-type]
            .scalars()
            .all()
        )
    read = {
        e.tenant_id for e in entries if (e.detail or {}).get("report") == "platform_deidentified"
    }
    assert read == {w.north.id, w.south.id}
