"""Legal holds (RET-5): a school hold, a person hold and a category hold each stop the sweep
for what they cover, the sweep's report names the hold and what it kept, lifting a hold lets
the next sweep finish; school admins only, audited, another school's caller gets 404."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.authz.models import AuditEntry
from app.classroom.models import ClassroomEvent, LessonRollup
from app.core import clock
from app.core.vocabulary import RetentionCategory
from app.retention.service import sweep_all
from tests.retention.world import NORTH_ADMIN, SOUTH_ADMIN, rows

HOLDS = "/v1/tenants/demo-north/holds"


async def _sweep(owner, categories=None):
    [report] = await sweep_all(
        owner.db,
        owner.settings,
        "demo-north",
        categories,
        dry_run=False,
        batch_size=7,
        trigger="cli",
    )
    return report


async def _hold(client, headers, **body):
    placed = await client.post(
        HOLDS, json={"reason": "court order 2026-17", **body}, headers=headers
    )
    assert placed.status_code == 201, placed.text
    return placed.json()


async def test_ret5_a_school_hold_stops_every_category_and_is_named(client, login, owner, world):
    north = world["demo-north"]
    admin = await login(NORTH_ADMIN)
    hold = await _hold(client, admin, scope="school")
    report = await _sweep(owner)
    assert await rows(owner, ClassroomEvent, north.tenant.id) == 80
    behaviour = next(c for c in report.categories if c.category == RetentionCategory.BEHAVIOUR)
    assert behaviour.tables["classroom_event"].held == 10
    assert [(h["hold"], h["scope"], h["rows"]) for h in behaviour.held_by] == [
        (hold["id"], "school", {"classroom_event": 10})
    ]
    assert "held by school hold" in behaviour.line()

    lifted = await client.delete(f"{HOLDS}/{hold['id']}", headers=admin)
    assert lifted.status_code == 204
    await _sweep(owner)
    assert await rows(owner, ClassroomEvent, north.tenant.id) == 40


async def test_ret5_a_person_hold_keeps_that_persons_rows_only(client, login, owner, world):
    north = world["demo-north"]
    kept, gone = north.students
    admin = await login(NORTH_ADMIN)
    hold = await _hold(client, admin, scope="person", person_id=str(kept))
    report = await _sweep(owner)
    old_kept = await rows(
        owner, ClassroomEvent, north.tenant.id, ClassroomEvent.__table__.c.account_id == kept
    )
    assert old_kept == 20 + 20  # 20 old (held) + 20 recent
    assert (
        await rows(
            owner, ClassroomEvent, north.tenant.id, ClassroomEvent.__table__.c.account_id == gone
        )
        == 20
    )  # only the recent ones
    assert await rows(owner, LessonRollup, north.tenant.id) == 1
    notes = [h for h in report.held() if h["hold"] == hold["id"]]
    assert {n["category"] for n in notes} >= {"attendance", "tool_use", "rollup", "recording"}
    assert all(n["account_id"] == str(kept) for n in notes)
    seen = await client.get("/v1/tenants/demo-north/retention", headers=admin)
    assert [h["id"] for h in seen.json()["holds"]] == [hold["id"]]
    assert any(h["hold"] == hold["id"] for h in seen.json()["last_sweeps"][0]["held"])


async def test_ret5_a_category_hold_keeps_that_category_and_sweeps_the_others(
    client, login, owner, world
):
    north = world["demo-north"]
    admin = await login(NORTH_ADMIN)
    await _hold(client, admin, scope="category", category="diagnostics")
    await _sweep(owner)
    left = await rows(
        owner,
        ClassroomEvent,
        north.tenant.id,
        ClassroomEvent.__table__.c.at < clock.now() - timedelta(days=30),
    )
    assert left == 10  # the old diagnostics samples only


async def test_ret5_a_hold_that_ended_no_longer_holds(client, login, owner, world):
    north = world["demo-north"]
    admin = await login(NORTH_ADMIN)
    until = (clock.now() + timedelta(days=1)).isoformat()
    await _hold(client, admin, scope="school", until=until)
    clock.advance(2 * 86400)
    await _sweep(owner, [RetentionCategory.BEHAVIOUR])
    assert await rows(owner, ClassroomEvent, north.tenant.id) == 70


async def test_holds_are_audited_and_refuse_bad_input_naming_the_field(client, login, owner, world):
    admin = await login(NORTH_ADMIN)
    missing = await client.post(HOLDS, json={"scope": "person", "reason": "order"}, headers=admin)
    assert missing.status_code == 422
    assert missing.headers["content-type"] == "application/problem+json"
    assert "person_id" in missing.text
    stranger = world["demo-south"].students[0]
    foreign = await client.post(
        HOLDS,
        json={"scope": "person", "person_id": str(stranger), "reason": "x" * 5},
        headers=admin,
    )
    assert foreign.status_code == 422 and "person_id" in foreign.text
    bad = await client.post(
        HOLDS, json={"scope": "category", "category": "nope", "reason": "abc"}, headers=admin
    )
    assert bad.status_code == 422 and "category" in bad.text
    past = (clock.now() - timedelta(days=1)).isoformat()
    ended = await client.post(
        HOLDS, json={"scope": "school", "reason": "abc", "until": past}, headers=admin
    )
    assert ended.status_code == 422 and "until" in ended.text

    hold = await _hold(client, admin, scope="school")
    async with owner.db.session() as session:
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.record_kind == "retention")))
            .scalars()
            .all()
        )
    assert [(e.action, e.detail.get("hold")) for e in entries] == [("create", hold["id"])]


async def test_holds_and_retention_are_for_the_schools_admins_only(client, login, owner, world):
    """Another school's admin gets 404 on every route; a teacher of the school gets 403."""
    north = await login(NORTH_ADMIN)
    hold = await _hold(client, north, scope="school")
    south = await login(SOUTH_ADMIN)
    assert (await client.get("/v1/tenants/demo-north/retention", headers=south)).status_code == 404
    other = await client.post(HOLDS, json={"scope": "school", "reason": "abc"}, headers=south)
    assert other.status_code == 404
    gone = await client.delete(f"{HOLDS}/{hold['id']}", headers=south)
    assert gone.status_code == 404
    # Through their own school's path, north's hold does not exist either.
    theirs = await client.delete(f"/v1/tenants/demo-south/holds/{hold['id']}", headers=south)
    assert theirs.status_code == 404
    teacher = await login("+8613800000101")
    assert (
        await client.get("/v1/tenants/demo-north/retention", headers=teacher)
    ).status_code == 403
    assert (
        await client.post(HOLDS, json={"scope": "school", "reason": "abc"}, headers=teacher)
    ).status_code == 403
    assert (await client.get("/v1/tenants/demo-north/retention")).status_code == 401
