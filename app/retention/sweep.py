"""The retention sweep: per school and category, delete or anonymise what expired (RET-4),
unless a legal hold stops it (RET-5), and record the run.

`sweep_school(db, store, school, categories)` is the one entry point for a school (the CLI,
the daily job and a shutdown's final sweep call it); `sweep_platform` does the platform's
own categories (login state).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from app.classroom.files.storage import ObjectStore
from app.core import clock
from app.core.db import Database, set_tenant
from app.core.retention import RetentionAction, get_retention
from app.core.vocabulary import HoldScope, RetentionCategory
from app.retention import repository
from app.retention.audit import chain_bound
from app.retention.batches import (
    BATCH,
    BATCH_SECONDS,
    MIN_BATCH,
    Target,
    count,
    run_batch,
    selection,
)
from app.retention.models import LegalHold, PlatformRetentionRun, RetentionRun
from app.retention.rules import Rule, rules_for
from app.tenancy.models import Tenant


@dataclass
class TableCount:
    deleted: int = 0
    anonymised: int = 0
    held: int = 0
    would: int = 0  # dry run: what a real sweep would remove now

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class CategoryReport:
    category: RetentionCategory
    days: int
    cutoff: datetime
    action: RetentionAction
    tables: dict[str, TableCount] = field(default_factory=dict)
    held_by: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def line(self) -> str:
        parts = []
        for table, c in self.tables.items():
            done = ", ".join(f"{k} {v}" for k, v in c.as_dict().items()) or "nothing expired"
            parts.append(f"{table}: {done}")
        text = f"  {self.category.value} ({self.days} days, {self.action.value}): "
        text += self.note or ("; ".join(parts) or "no tables")
        for h in self.held_by:
            text += f"\n    held by {h['scope']} hold {h['hold']} ({h['reason']}): {h['rows']}"
        return text


@dataclass
class SweepReport:
    school: str  # slug, or "platform"
    dry_run: bool
    run_id: uuid.UUID | None = None
    categories: list[CategoryReport] = field(default_factory=list)
    duration_ms: int = 0

    def lines(self) -> list[str]:
        head = "would remove (dry run)" if self.dry_run else f"run {self.run_id}"
        out = [f"{self.school}: {head}"]
        out += [c.line() for c in self.categories]
        return out

    def counts(self) -> dict[str, Any]:
        return {
            c.category.value: {t: n.as_dict() for t, n in c.tables.items()} for c in self.categories
        }

    def held(self) -> list[dict[str, Any]]:
        return [h for c in self.categories for h in c.held_by]


@dataclass
class _Holds:
    blocking: dict[RetentionCategory | None, list[LegalHold]]  # None: the whole school
    people: list[LegalHold]

    @classmethod
    def of(cls, holds: list[LegalHold]) -> _Holds:
        blocking: dict[RetentionCategory | None, list[LegalHold]] = {}
        for h in holds:
            if h.scope == HoldScope.SCHOOL:
                blocking.setdefault(None, []).append(h)
            elif h.scope == HoldScope.CATEGORY and h.category:
                blocking.setdefault(RetentionCategory(h.category), []).append(h)
        people = [h for h in holds if h.scope == HoldScope.PERSON and h.account_id]
        return cls(blocking=blocking, people=people)

    def stopping(self, category: RetentionCategory) -> list[LegalHold]:
        return [*self.blocking.get(None, []), *self.blocking.get(category, [])]

    def held_people(self) -> frozenset[uuid.UUID]:
        return frozenset(h.account_id for h in self.people if h.account_id)


def _note(hold: LegalHold, category: RetentionCategory, rows: dict[str, int]) -> dict[str, Any]:
    return {
        "hold": str(hold.id),
        "scope": hold.scope,
        "category": category.value,
        "account_id": str(hold.account_id) if hold.account_id else None,
        "reason": hold.reason,
        "rows": rows,
    }


async def _held_rows(
    target: Target, category: RetentionCategory, report: CategoryReport, holds: _Holds
) -> bool:
    """Count what holds keep; True when a school or category hold stops the whole category."""
    stopping = holds.stopping(category)
    for rule in rules_for(category):
        tally = report.tables.setdefault(rule.table_name, TableCount())
        if stopping:
            tally.held += await count(
                target, rule, selection(rule, target.school, report.cutoff, frozenset())
            )
        elif holds.people and rule.about is not None:
            tally.held += await count(
                target, rule, _about(rule, target, report, holds.held_people())
            )
    if stopping:
        rows = {t: c.held for t, c in report.tables.items()}
        report.held_by += [_note(h, category, rows) for h in stopping]
        return True
    for hold in holds.people:
        assert hold.account_id is not None
        rows = {}
        for rule in rules_for(category):
            if rule.about is not None:
                one = frozenset({hold.account_id})
                rows[rule.table_name] = await count(target, rule, _about(rule, target, report, one))
        if any(rows.values()):
            report.held_by.append(_note(hold, category, rows))
    return False


def _about(rule: Rule, target: Target, report: CategoryReport, people: frozenset[uuid.UUID]) -> Any:
    assert rule.about is not None
    base = selection(rule, target.school, report.cutoff, frozenset())
    return [*base, rule.about(rule.table, people)]


async def sweep_category(
    target: Target,
    category: RetentionCategory,
    days: int,
    holds: _Holds,
    *,
    dry_run: bool,
    batch_size: int,
    now: datetime,
) -> CategoryReport:
    period = get_retention().periods[category]
    report = CategoryReport(category, days, now - timedelta(days=days), period.action)
    if await _held_rows(target, category, report, holds):
        return report
    people = holds.held_people()
    bound: list[ColumnElement[bool]] = []
    if category == RetentionCategory.AUDIT and target.school is not None:
        upto, report.note = await chain_bound(target.db, target.school, report.cutoff, people)
        if upto is None:
            return report
        bound = [rules_for(category)[0].table.c.seq <= upto]
    for rule in rules_for(category):
        tally = report.tables.setdefault(rule.table_name, TableCount())
        where = [*selection(rule, target.school, report.cutoff, people), *bound]
        if dry_run:
            tally.would = await count(target, rule, where)
            continue
        limit, resume = batch_size, None
        while True:
            started = time.monotonic()
            removed, resume = await run_batch(target, rule, where, limit, resume)
            if rule.anonymise:
                tally.anonymised += removed
            else:
                tally.deleted += removed
            if resume is None:
                break
            if time.monotonic() - started > BATCH_SECONDS:  # rows are wide here: smaller batches
                limit = max(limit // 2, MIN_BATCH)
    return report


async def sweep_school(
    db: Database,
    store: ObjectStore | None,
    school: Tenant,
    categories: list[RetentionCategory] | None = None,
    *,
    dry_run: bool = False,
    trigger: str = "cli",
    batch_size: int = BATCH,
    older_than_days: int | None = None,
) -> SweepReport:
    """Sweep one school's categories (all of them by default); the run is recorded.

    `older_than_days` replaces every period (0: everything up to now), for a final sweep
    such as a service shutdown's (SHD-3); legal holds still stop it."""
    policy = get_retention()
    wanted = [
        c for c in (categories or policy.school_categories()) if c in policy.school_categories()
    ]
    now, started = clock.now(), time.monotonic()
    async with db.session() as session:
        await set_tenant(session, school.id)
        holds = _Holds.of(await repository.active_holds(session, school.id, now))
        run_id = None
        if not dry_run:
            await repository.close_interrupted_runs(session, school.id)
            run = RetentionRun(tenant_id=school.id, trigger=trigger, started_at=now)
            session.add(run)
            run_id = run.id
    report = SweepReport(school=school.slug, dry_run=dry_run, run_id=run_id)
    target = Target(db=db, store=store, school=school.id, run_id=run_id)
    for category in wanted:
        days = policy.days_for(category, school.retention)
        if older_than_days is not None:
            days = older_than_days
        report.categories.append(
            await sweep_category(
                target, category, days, holds, dry_run=dry_run, batch_size=batch_size, now=now
            )
        )
    report.duration_ms = int((time.monotonic() - started) * 1000)
    if run_id is not None:
        await _finish_school_run(db, school.id, run_id, report)
    return report


async def _finish_school_run(
    db: Database, school_id: uuid.UUID, run_id: uuid.UUID, report: SweepReport
) -> None:
    async with db.session() as session:
        await set_tenant(session, school_id)
        run = await session.get(RetentionRun, (school_id, run_id))
        assert run is not None
        run.status, run.finished_at = "finished", clock.now()
        run.counts, run.held, run.duration_ms = report.counts(), report.held(), report.duration_ms


async def sweep_platform(
    db: Database,
    categories: list[RetentionCategory] | None = None,
    *,
    dry_run: bool = False,
    trigger: str = "cli",
    batch_size: int = BATCH,
) -> SweepReport:
    """The platform's own categories (login codes, outbox, tokens...): no school, no holds."""
    policy = get_retention()
    wanted = [
        c for c in (categories or policy.platform_categories()) if c in policy.platform_categories()
    ]
    now, started = clock.now(), time.monotonic()
    run_id = None
    if not dry_run:
        async with db.session() as session:
            run = PlatformRetentionRun(trigger=trigger, started_at=now)
            session.add(run)
            run_id = run.id
    report = SweepReport(school="platform", dry_run=dry_run, run_id=run_id)
    target = Target(db=db, store=None, school=None, run_id=run_id)
    no_holds = _Holds(blocking={}, people=[])
    for category in wanted:
        report.categories.append(
            await sweep_category(
                target,
                category,
                policy.periods[category].days,
                no_holds,
                dry_run=dry_run,
                batch_size=batch_size,
                now=now,
            )
        )
    report.duration_ms = int((time.monotonic() - started) * 1000)
    if run_id is not None:
        async with db.session() as session:
            done = await session.get(PlatformRetentionRun, run_id)
            assert done is not None
            done.status, done.finished_at = "finished", clock.now()
            done.counts, done.duration_ms = report.counts(), report.duration_ms
    return report
