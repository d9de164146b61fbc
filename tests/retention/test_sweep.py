"""The sweep: expired rows go, recent ones stay, a second run finds nothing, other schools are
untouched, rollups leave their counts without a person, recordings leave the object store
(RET-3, RET-4)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.analytics.models import LessonTally
from app.classroom.models import (
    AttendanceSpan,
    ClassroomEvent,
    LessonFile,
    LessonRollup,
    RecordingGrant,
)
from app.core.config import Settings
from app.core.vocabulary import RetentionCategory
from app.retention.models import DeletionLog
from app.retention.service import sweep_all
from tests.retention.world import NORTH_ADMIN, SOUTH_ADMIN, rows


async def _sweep(owner, slug="demo-north", categories=None, *, dry_run=False):
    settings: Settings = owner.settings
    return await sweep_all(
        owner.db, settings, slug, categories, dry_run=dry_run, batch_size=7, trigger="cli"
    )


async def _log_count(owner) -> int:
    """Rows the deletion log names (an entry per batch and table)."""
    async with owner.db.session() as session:
        total = await session.execute(select(func.coalesce(func.sum(DeletionLog.row_count), 0)))
        return int(total.scalar_one())


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


async def test_ret4_the_platform_sweep_removes_old_login_codes_and_messages(owner, world):
    """Login state is the platform's: swept once for everyone when no school is named."""
    from datetime import timedelta

    from sqlalchemy import insert

    from app.accounts.models import OtpCode, SmsMessage
    from app.core import clock
    from app.core.ids import new_id

    now = clock.now()
    codes, messages = OtpCode.__table__, SmsMessage.__table__  # type: ignore[attr-defined]
    async with owner.db.session() as session:
        for age in (timedelta(days=2), timedelta(minutes=1)):
            at = now - age
            await session.execute(
                insert(codes).values(
                    id=new_id(),
                    phone_hash="h" * 64,
                    code_hmac="c" * 64,
                    created_at=at,
                    expires_at=at + timedelta(minutes=5),
                    attempts=0,
                )
            )
        for age in (timedelta(days=40), timedelta(days=1)):
            await session.execute(
                insert(messages).values(
                    id=new_id(), phone_hash="h" * 64, phone_enc="x", body="code", sent_at=now - age
                )
            )
    reports = await _sweep(owner, slug=None)
    assert [r.school for r in reports] == ["demo-north", "demo-south", "platform"]
    platform = reports[-1].counts()
    assert platform["otp_code"]["otpcode"] == {"deleted": 1}
    assert platform["sms_outbox"]["smsmessage"] == {"deleted": 1}
    async with owner.db.session() as session:
        left = await session.execute(select(func.count()).select_from(codes))
        assert left.scalar_one() == 1


async def test_shd3_a_final_sweep_removes_everything_of_the_school_but_what_holds_keep(
    owner, world
):
    """A shutdown's final sweep (SHD-3): every period replaced by 0 days."""
    from app.core.retention import get_retention
    from app.retention.sweep import sweep_school

    north = world["demo-north"]
    categories = get_retention().school_categories()
    await sweep_school(
        owner.db, None, north.tenant, categories, trigger="shutdown", older_than_days=0
    )
    assert await rows(owner, ClassroomEvent, north.tenant.id) == 0
    assert await rows(owner, LessonFile, north.tenant.id) == 0
    assert await rows(owner, ClassroomEvent, world["demo-south"].tenant.id) == 80


async def test_ret4_expired_oidc_attempts_go_a_day_after_their_last_expiry(owner, world):
    """A trip to a school's provider outlives neither its attempt nor its pending link by
    more than the period (a platform category): a live one and one whose SMS-code link
    expired an hour ago stay."""
    from datetime import timedelta

    from sqlalchemy import insert

    from app.core import clock
    from app.core.ids import new_id
    from app.identity.models import OidcAttempt

    now, school = clock.now(), world["demo-north"].tenant.id
    attempts = OidcAttempt.__table__  # type: ignore[attr-defined]
    ages = {  # name -> (attempt expired, link expired) this long ago
        "expired": (timedelta(days=2), None),
        "expired, link too": (timedelta(days=3), timedelta(days=2)),
        "link expired an hour ago": (timedelta(days=2), timedelta(hours=1)),
        "live": (-timedelta(minutes=5), None),
    }
    async with owner.db.session() as session:
        for n, (expired, link) in enumerate(ages.values()):
            await session.execute(
                insert(attempts).values(
                    id=new_id(),
                    school_id=school,
                    state_hash=f"{n}" * 64,
                    nonce_hash="n" * 64,
                    created_at=now - expired - timedelta(minutes=10),
                    expires_at=now - expired,
                    link_hash=f"l{n}".ljust(64, "x") if link else None,
                    link_expires_at=now - link if link else None,
                )
            )
    reports = await _sweep(owner, slug=None, categories=[RetentionCategory.OIDC_ATTEMPT])
    assert reports[-1].counts()["oidc_attempt"] == {"oidc_attempt": {"deleted": 2}}
    async with owner.db.session() as session:
        left = (await session.execute(select(attempts.c.state_hash))).scalars().all()
    assert sorted(h[0] for h in left) == ["2", "3"]
    [again] = [r for r in await _sweep(owner, slug=None) if r.school == "platform"]
    assert again.counts()["oidc_attempt"] == {"oidc_attempt": {}}
