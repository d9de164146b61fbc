"""The sweep: expired rows go, recent ones stay, a second run finds nothing, other schools are
untouched, rollups leave their counts without a person, recordings leave the object store
(RET-3, RET-4)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.classroom.models import (
    AttendanceSpan,
    ClassroomEvent,
    LessonFile,
    LessonRollup,
    RecordingGrant,
)
from app.core.config import Settings
from app.core.vocabulary import RetentionCategory
from app.retention.models import DeletionLog, LessonTally
from app.retention.service import sweep_all
from tests.retention.world import NORTH_ADMIN, SOUTH_ADMIN, rows


async def _sweep(owner, slug="demo-north", categories=None, *, dry_run=False):
    settings: Settings = owner.settings
    return await sweep_all(
        owner.db, settings, slug, categories, dry_run=dry_run, batch_size=7, trigger="cli"
    )


async def _log_count(owner) -> int:
    async with owner.db.session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(DeletionLog))).scalar_one()
        )


async def test_ret4_expired_rows_go_recent_stay_and_a_second_sweep_finds_nothing(owner, world):
    north, south = world["demo-north"], world["demo-south"]
    [report] = await _sweep(owner)
    assert await rows(owner, ClassroomEvent, north.tenant.id) == north.events["recent"]
    assert await rows(owner, AttendanceSpan, north.tenant.id) == 0
    # The other school was not asked for, and nothing of it moved.
    assert await rows(owner, ClassroomEvent, south.tenant.id) == 80
    assert await rows(owner, AttendanceSpan, south.tenant.id) == 2
    counts = report.counts()
    assert counts["attendance"]["classroom_event"] == {"deleted": 10}
    assert counts["diagnostics"]["classroom_event"] == {"deleted": 10}
    logged = await _log_count(owner)
    # 40 events, 2 spans, 2 rollups, 1 recording and its grant: each logged once.
    assert logged == 40 + 2 + 2 + 1 + 1

    [again] = await _sweep(owner)
    assert all(not c.as_dict() for cat in again.categories for c in cat.tables.values())
    assert await _log_count(owner) == logged


async def test_ret4_rollups_keep_their_counts_without_a_person(owner, world):
    north = world["demo-north"]
    await _sweep(owner, categories=[RetentionCategory.ROLLUP])
    assert await rows(owner, LessonRollup, north.tenant.id) == 0
    async with owner.db.session() as session:
        tally = (
            await session.execute(
                select(LessonTally).where(LessonTally.tenant_id == north.tenant.id)
            )
        ).scalar_one()
    assert (tally.participants, tally.attended_seconds, tally.hand_raises) == (2, 6001, 5)
    assert (tally.joins, tally.speaking_ms) == (2, 2000)
    columns = {c.name for c in LessonTally.__table__.columns}  # type: ignore[attr-defined]
    assert "account_id" not in columns


async def test_ret4_an_expired_recording_leaves_the_object_store_with_its_grant(owner, world):
    north, south = world["demo-north"], world["demo-south"]
    store = owner.settings.object_store_dir
    await _sweep(owner, categories=[RetentionCategory.RECORDING, RetentionCategory.SNAPSHOT])
    assert not (store / north.recording_key).exists()
    assert await rows(owner, RecordingGrant, north.tenant.id) == 0
    assert await rows(owner, LessonFile, north.tenant.id) == 1  # the recent snapshot
    assert (store / south.recording_key).exists()


async def test_ret4_dry_run_counts_and_removes_nothing(owner, world):
    north = world["demo-north"]
    [report] = await _sweep(owner, dry_run=True)
    assert report.counts()["behaviour"]["classroom_event"] == {"would": 10}
    assert report.run_id is None
    assert await rows(owner, ClassroomEvent, north.tenant.id) == 80
    assert await _log_count(owner) == 0


async def test_ret4_each_run_is_recorded_and_readable_by_its_school_only(
    client, login, owner, world
):
    await _sweep(owner)
    north = await login(NORTH_ADMIN)
    seen = await client.get("/v1/tenants/demo-north/retention", headers=north)
    assert seen.status_code == 200, seen.text
    [run] = seen.json()["last_sweeps"]
    assert run["status"] == "finished" and run["trigger"] == "cli"
    assert run["counts"]["tool_use"]["classroom_event"] == {"deleted": 10}
    assert run["duration_ms"] >= 0
    south = await login(SOUTH_ADMIN)
    theirs = await client.get("/v1/tenants/demo-south/retention", headers=south)
    assert theirs.json()["last_sweeps"] == []
