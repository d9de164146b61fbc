"""Personal-data incidents: told to exactly the people affected and their schools' admins,
by SMS and in the app, in their language, each delivery recorded; the regulator's report.
(SEC-11, SEC-12, SEC-13)"""

from __future__ import annotations

from typing import Any

import httpx

from app.core.context import ServiceContext
from app.jobs.wiring import drain
from tests.lifecycle.helpers import texts_to
from tests.privacy.people import (
    CHILD,
    GUARDIAN,
    NORTH_ADMIN,
    SOUTH_ADMIN,
    SOUTH_STUDENT,
    STAFF,
    STRANGER,
    STUDENT,
    People,
)

INCIDENTS = "/v1/platform/incidents"
MARK_ZH = "个人信息安全事件"
MARK_EN = "Personal-data incident"


def incident(
    schools: list[dict[str, Any]], what: str = "A laptop with an export was stolen."
) -> dict[str, Any]:
    return {
        "what": what,
        "impact": "Names and attendance of one class may be read by the thief.",
        "happened_at": "2026-12-01T08:00:00+08:00",
        "detected_at": "2026-12-01T12:00:00+08:00",
        "categories": ["member", "attendance"],
        "schools": schools,
        "measures": "The laptop's disk key was revoked; exports now expire after a day.",
        "advice": "Be wary of calls that claim to be from your school.",
        "remedies": "A free identity-monitoring service for a year.",
        "progress": "Police informed; investigation ongoing.",
        "contact": "privacy@rostra.example, 400-000-0000",
    }


async def _notices(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/v1/me/notices", headers=headers)
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["scope"] == "incident"]


async def test_notifications_reach_exactly_the_people_named_and_their_school(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    """SEC-11: the named people of demo-north and its admin are told; nobody else is."""
    guardian = await login(GUARDIAN)
    assert (
        await client.put("/v1/me/language", json={"language": "en"}, headers=guardian)
    ).status_code == 204
    staff = await login(STAFF)
    named = [people.id(STUDENT), people.id(GUARDIAN)]
    created = await client.post(
        INCIDENTS, json=incident([{"school": "demo-north", "people": named}]), headers=staff
    )
    assert created.status_code == 201, created.text
    assert created.json()["schools"] == ["demo-north"]
    await drain(app.state.ctx)

    assert len(await texts_to(owner, STUDENT, MARK_ZH)) == 1
    assert len(await texts_to(owner, GUARDIAN, MARK_EN)) == 1  # in the guardian's language
    admin_texts = await texts_to(owner, NORTH_ADMIN, MARK_ZH)
    assert len(admin_texts) == 1 and "Be wary" in admin_texts[0]
    for untouched in (CHILD, STRANGER, SOUTH_STUDENT, SOUTH_ADMIN, STAFF):
        assert await texts_to(owner, untouched, "[Rostra]") == [], untouched

    student_notices = await _notices(client, await login(STUDENT))
    assert len(student_notices) == 1 and student_notices[0]["pending"]
    body = student_notices[0]["summary"]
    for element in ("stolen", "may be read", "disk key", "Be wary", "identity-monitoring",
                    "Police informed", "privacy@rostra.example"):  # fmt: skip
        assert element in body, element  # SEC-12: every element of the notice
    english = (await _notices(client, guardian))[0]
    assert english["title"] == "Notice of a personal-data incident"
    assert await _notices(client, await login(STRANGER)) == []
    assert await _notices(client, await login(SOUTH_STUDENT)) == []
    assert len(await _notices(client, await login(NORTH_ADMIN))) == 1

    # Acknowledged, it stays listed but is no longer pending.
    read = await client.post(
        f"/v1/me/notices/{student_notices[0]['id']}/accept", headers=await login(STUDENT)
    )
    assert read.status_code == 200 and read.json()["pending"] is False

    # A rerun of the job (a killed worker) tells nobody twice.
    from app.lifecycle.incidents import notify

    await notify(app.state.ctx, __import__("uuid").UUID(created.json()["id"]))
    assert len(await texts_to(owner, STUDENT, MARK_ZH)) == 1
    assert len(await texts_to(owner, NORTH_ADMIN, MARK_ZH)) == 1

    report = await client.get(f"{INCIDENTS}/{created.json()['id']}/report", headers=staff)
    assert report.status_code == 200, report.text
    north = report.json()["schools"][0]
    assert north["school"] == "demo-north"
    assert (north["people_told_by_sms"], north["people_told_in_app"], north["admins_told"]) == (
        2,
        2,
        1,
    )
    assert report.json()["notifications"] == {"sent": 6, "failed": 0}
    assert report.json()["requirement"] == "SEC-13"


async def test_everyone_in_a_school_is_told_and_no_one_elsewhere(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    staff = await login(STAFF)
    created = await client.post(
        INCIDENTS, json=incident([{"school": "demo-south", "everyone": True}]), headers=staff
    )
    assert created.status_code == 201, created.text
    await drain(app.state.ctx)
    for told in (STUDENT, SOUTH_STUDENT, SOUTH_ADMIN):
        assert await texts_to(owner, told, MARK_ZH), told
    for untouched in (CHILD, GUARDIAN, STRANGER, NORTH_ADMIN):
        assert await texts_to(owner, untouched, "[Rostra]") == [], untouched


async def test_only_platform_staff_record_incidents_and_read_reports(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    body = incident([{"school": "demo-north", "everyone": True}])
    admin = await login(NORTH_ADMIN)
    assert (await client.post(INCIDENTS, json=body)).status_code == 401
    assert (await client.post(INCIDENTS, json=body, headers=admin)).status_code == 403
    staff = await login(STAFF)
    created = await client.post(INCIDENTS, json=body, headers=staff)
    again = await client.post(INCIDENTS, json=body, headers=staff)  # a retried POST
    assert (created.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == created.json()["id"]
    report = f"{INCIDENTS}/{created.json()['id']}/report"
    assert (await client.get(report, headers=admin)).status_code == 403
    html = await client.get(report, params={"format": "html"}, headers=staff)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Personal-data incident report" in html.text and "demo-north" in html.text
    missing = f"{INCIDENTS}/00000000-0000-7000-8000-000000000000/report"
    assert (await client.get(missing, headers=staff)).status_code == 404


async def test_a_person_of_another_school_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    staff = await login(STAFF)
    stranger = [people.id(SOUTH_STUDENT)]  # in demo-south, not demo-north
    refused = await client.post(
        INCIDENTS, json=incident([{"school": "demo-north", "people": stranger}]), headers=staff
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "schools.0.people" in refused.text
    unknown = await client.post(
        INCIDENTS, json=incident([{"school": "no-such-school", "everyone": True}]), headers=staff
    )
    assert unknown.status_code == 422 and "schools.0.school" in unknown.text
    await drain(app.state.ctx)
    assert await texts_to(owner, SOUTH_STUDENT, "[Rostra]") == []
    from sqlalchemy import func, select

    from app.lifecycle.models import Incident

    async with owner.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Incident))).scalar() == 0


async def test_a_child_under_14_is_told_through_their_guardian_too(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    """SEC-11 with MIN-1: the guardian of an affected child is told; another guardian is not."""
    staff = await login(STAFF)
    named = [people.id(CHILD)]
    created = await client.post(
        INCIDENTS, json=incident([{"school": "demo-north", "people": named}]), headers=staff
    )
    assert created.status_code == 201, created.text
    await drain(app.state.ctx)
    assert len(await texts_to(owner, CHILD, MARK_ZH)) == 1
    assert len(await texts_to(owner, GUARDIAN, MARK_ZH)) == 1
    assert await texts_to(owner, STRANGER, "[Rostra]") == []
    report = await client.get(f"{INCIDENTS}/{created.json()['id']}/report", headers=staff)
    assert report.json()["schools"][0]["guardians_told"] == 1


async def test_the_printable_report_escapes_what_staff_typed(
    client: httpx.AsyncClient, app: Any, owner: ServiceContext, login: Any, people: People
) -> None:
    staff = await login(STAFF)
    body = incident([{"school": "demo-north", "everyone": True}], what="<script>alert(1)</script>")
    created = await client.post(INCIDENTS, json=body, headers=staff)
    assert created.status_code == 201, created.text
    html = await client.get(
        f"{INCIDENTS}/{created.json()['id']}/report", params={"format": "html"}, headers=staff
    )
    assert "<script>" not in html.text and "&lt;script&gt;" in html.text
