"""`retention_sweep_rows_per_s` (issue #17), run by `bench/privacy.py` on its loaded school.

The school's events span two years, so the behaviour and tool-use events older than 365 days
and the diagnostics older than 30 are expired. Baseline, in the same run: one bare
`DELETE ... WHERE at < ...` of exactly those rows, timed, then rolled back; then the sweep
removes them for real in its batches (each its own transaction, with the deletion log and
the run's counts). Aim: the sweep at least half the bare DELETE's rate.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.retention import get_retention
from app.core.vocabulary import RetentionCategory
from bench.report import Figure, figure

CATEGORIES = [
    RetentionCategory.BEHAVIOUR,
    RetentionCategory.TOOL_USE,
    RetentionCategory.DIAGNOSTICS,
]


def _bare_delete(owner: Any, tenant: uuid.UUID, now: datetime) -> tuple[int, float]:
    """(rows, seconds) of the plain DELETE of the same rows, rolled back afterwards."""
    policy = get_retention()
    kept = {c: now - timedelta(days=policy.periods[c].days) for c in CATEGORIES}
    with owner.cursor() as cur:
        started = time.perf_counter()
        cur.execute(
            "DELETE FROM classroom_event WHERE tenant_id = %s AND ("
            "(record_kind IN ('behaviour', 'tool_use') AND at < %s) OR "
            "(record_kind = 'diagnostics' AND at < %s))",
            (tenant, kept[RetentionCategory.BEHAVIOUR], kept[RetentionCategory.DIAGNOSTICS]),
        )
        took = time.perf_counter() - started
        rows = cur.rowcount
    owner.rollback()
    with owner.cursor() as cur:  # read the rows once more: the rollback's hint bits get set
        cur.execute("SELECT count(*) FROM classroom_event WHERE tenant_id = %s", (tenant,))
    owner.rollback()
    return rows, took


async def sweep_figure(settings: Settings, owner: Any, tenant: uuid.UUID) -> Figure:
    from app.retention.sweep import sweep_school
    from app.tenancy.models import Tenant

    now = datetime.now(UTC)
    rows, bare = _bare_delete(owner, tenant, now)
    db = Database(settings, settings.owner_database_url)
    try:
        async with db.session() as session:
            school = await session.get(Tenant, tenant)
        assert school is not None
        # The sweep's clock goes back to the bare DELETE's instant, so both cut at the same
        # time: at a million events over two years one expires about every minute.
        clock.advance((now - clock.now()).total_seconds())
        started = time.perf_counter()
        report = await sweep_school(db, None, school, CATEGORIES, trigger="bench")
        took = time.perf_counter() - started
    finally:
        clock.reset()
        await db.dispose()
    swept = sum(t.deleted for c in report.categories for t in c.tables.values())
    # The sweep reads its clock a few milliseconds after it was set back: a row may expire
    # in between, rarely, never more than a couple.
    assert 0 <= swept - rows <= 2, f"the sweep removed {swept} rows, the bare DELETE {rows}"
    print(f"  retention sweep: {swept:,} rows in {took:.2f}s; bare DELETE: {bare:.2f}s")
    return figure("retention_sweep_rows_per_s", swept / took, "rows/s", rows / bare)
