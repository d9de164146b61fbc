"""The roster demo: courses with lessons around 2026-11-23, enrolments, guardians; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from app.core.db import set_tenant
from app.roster import demo
from app.roster.models import ConsentAttestation, Course, Enrollment, Guardianship, Lesson
from app.tenancy.models import Tenant


async def _load(owner, tenant: Tenant) -> list[str]:
    from app.demo import load_people

    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        people = await load_people(session, owner.keys, tenant)
        return await demo.load(session, owner.keys, tenant, people)


async def _counts(owner, tenant: Tenant) -> dict[str, int]:
    out = {}
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        for model in (Course, Lesson, Enrollment, Guardianship, ConsentAttestation):
            q = select(func.count()).select_from(model).where(col(model.tenant_id) == tenant.id)
            out[model.__name__] = int((await session.execute(q)).scalar_one())
        ended = (
            select(func.count())
            .select_from(Lesson)
            .where(col(Lesson.tenant_id) == tenant.id, col(Lesson.status) == "ended")
        )
        out["ended"] = int((await session.execute(ended)).scalar_one())
    return out


async def test_demo_roster_loads_once(owner, schools, client, login):
    for tenant in schools.values():
        lines = await _load(owner, tenant)
        assert "3 courses" in lines[0]
    north = await _counts(owner, schools["demo-north"])
    assert north["Course"] == 3 and north["Lesson"] == 24 and 0 < north["ended"] < 24
    assert north["Guardianship"] == 10 and north["ConsentAttestation"] == 33
    assert north["Enrollment"] == 1 + 10 + 1 + 1 + 10 + 1 + 20
    again = await _load(owner, schools["demo-north"])
    assert "0 courses, 0 lessons, 0 enrollments" in again[0]
    assert await _counts(owner, schools["demo-north"]) == north
    # A demo teacher sees their two courses; a demo student their schedule.
    teacher = await login("+8613800000101")
    courses = (await client.get("/v1/tenants/demo-north/courses", headers=teacher)).json()
    assert sorted(c["code"] for c in courses["items"]) == ["ENG-7", "MATH-7"]
    student = await login("+8613900000215")
    courses = (await client.get("/v1/tenants/demo-south/courses", headers=student)).json()
    assert sorted(c["code"] for c in courses["items"]) == ["CHN-8", "ENG-7"]
