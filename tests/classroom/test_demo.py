"""The demo loader gives past lessons events of every kind, and loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.classroom import demo
from app.classroom.kinds import KIND_NAMES
from app.classroom.models import ClassroomEvent, LessonRollup
from app.core.db import set_tenant


async def _load(owner, tenant) -> list[str]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        return await demo.load(session, owner.keys, tenant, None)


async def test_demo_events_cover_every_kind_and_load_idempotently(owner, world):
    first = await _load(owner, world.north)
    assert "new" in first[0]
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        kinds = set((await session.execute(select(ClassroomEvent.kind).distinct())).scalars())
        total = (await session.execute(select(func.count()).select_from(ClassroomEvent))).scalar()
        rollups = (await session.execute(select(func.count()).select_from(LessonRollup))).scalar()
    assert kinds == set(KIND_NAMES)
    assert total and total >= 100
    assert rollups == 3 + 2  # lesson A: teacher and two students; lesson B: teacher, one student
    again = await _load(owner, world.north)
    assert again[0].endswith(f"(0 new, {total} already there)")
