"""A deletion killed half-way, run again, finishes and proves against the school as it was
before the first run; a second run changes nothing. (TPS-8)"""

from __future__ import annotations

from typing import Any

import pytest

from app.core import clock
from app.core.context import ServiceContext
from app.core.db import Database
from app.lifecycle import deletion
from app.lifecycle.offboarding import start
from app.tenancy.repository import tenant_by_slug
from tests.conftest import BACKENDS
from tests.privacy.people import People


async def test_an_interrupted_deletion_finishes_exactly_once(
    app: Any, owner: ServiceContext, people: People
) -> None:
    ctx: ServiceContext = app.state.ctx
    from app.identity.models import ExternalIdentity
    from tests.privacy.people import STUDENT

    async with owner.db.session() as session:
        north = await tenant_by_slug(session, "demo-north")
        assert north is not None
        offboarding, _ = await start(session, north, None)
        session.add(  # a platform row pointing at the school: a provider's linked identity
            ExternalIdentity(account_id=people.ids[STUDENT], school_id=north.id,
                             issuer="https://idp.example", subject="s1", lookup_hash="h" * 64,
                             linked_by="sms_code")
        )  # fmt: skip
    async with owner.db.session() as session:
        before = await deletion.count_rows(session, north.id)
    assert before["membership"] >= 5 and before["guardianship"] == 1
    assert before["external_identity"] == 1

    clock.advance(31 * 86400)
    db = Database(ctx.settings, url=ctx.settings.owner_database_url)
    try:
        begun = await deletion._begin(db, offboarding.id)  # the first run takes its counts...
        assert begun is not None and begun.rows_before == before
        table = next(t for t in deletion.school_tables() if t.name == "membership")
        await deletion._delete_batch(db, table, north.id, 2)  # ...deletes a little, is killed
    finally:
        await db.dispose()

    proof = await deletion.delete_school(ctx, offboarding.id)
    assert proof is not None and deletion.verify(ctx.settings, proof)
    assert proof.rows_before == before  # the school as it was, not as the rerun found it
    assert set(proof.rows_after.values()) == {0}
    again = await deletion.delete_school(ctx, offboarding.id)
    assert again is not None and again.id == proof.id  # nothing left to do: the same proof
    async with owner.db.session() as session:
        assert await tenant_by_slug(session, "demo-north") is None
        south = await tenant_by_slug(session, "demo-south")
        assert south is not None
        assert (await deletion.count_rows(session, south.id))["membership"] >= 3


@pytest.mark.parametrize("database", [BACKENDS[0]], indirect=True)
async def test_the_job_runner_deletes_the_school_once_the_notice_period_ends(
    app: Any, owner: ServiceContext, people: People
) -> None:
    """SQLite's queue compares the app's clock; procrastinate's waits for the database's, so
    PostgreSQL is covered by `rostra tenants offboard --due` (test_offboarding)."""
    from app.jobs.wiring import drain

    async with owner.db.session() as session:
        north = await tenant_by_slug(session, "demo-north")
        assert north is not None
        await start(session, north, None)
    await drain(app.state.ctx)  # the export; the deletion is not due yet
    async with owner.db.session() as session:
        assert await tenant_by_slug(session, "demo-north") is not None
    clock.advance(31 * 86400)
    await drain(app.state.ctx)
    async with owner.db.session() as session:
        assert await tenant_by_slug(session, "demo-north") is None


async def test_rows_written_after_the_count_before_are_deleted_too(
    app: Any, owner: ServiceContext, people: People
) -> None:
    """The deletion empties the tables the count before found rows in; the count after finds
    what was written meanwhile (here a legal hold), which goes before the school does."""
    from app.retention.models import LegalHold

    ctx: ServiceContext = app.state.ctx
    async with owner.db.session() as session:
        north = await tenant_by_slug(session, "demo-north")
        assert north is not None
        offboarding, _ = await start(session, north, None)
    clock.advance(31 * 86400)
    db = ctx.db.as_owner()
    begun = await deletion._begin(db, offboarding.id)
    assert begun is not None and begun.rows_before and begun.rows_before["legal_hold"] == 0
    async with owner.db.session() as session:
        session.add(LegalHold(tenant_id=north.id, scope="school", reason="a late order"))

    proof = await deletion.delete_school(ctx, offboarding.id)
    assert proof is not None and deletion.verify(ctx.settings, proof)
    assert proof.rows_before["legal_hold"] == 0 and set(proof.rows_after.values()) == {0}
    async with owner.db.session() as session:
        assert await tenant_by_slug(session, "demo-north") is None
        assert (await deletion.count_rows(session, north.id))["legal_hold"] == 0
