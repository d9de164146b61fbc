"""Retention rules and workflows: periods in force, placing and lifting holds, sweeping schools.

No HTTP here; the router and the CLI call these. Services never commit: the request's (or
the sweep batch's) transaction does.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.audit import record_access
from app.classroom.files.storage import get_store
from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.retention import get_retention
from app.core.vocabulary import Action, HoldScope, RetentionCategory
from app.retention import repository
from app.retention.models import LegalHold
from app.retention.schemas import HoldIn, HoldOut, PeriodOut, RetentionOut, RunOut
from app.retention.sweep import SweepReport, sweep_platform, sweep_school
from app.tenancy import repository as tenancy_repository

LAST_SWEEPS = 10


class UnknownSchool(LookupError):
    pass


def hold_out(hold: LegalHold) -> HoldOut:
    return HoldOut(
        id=hold.id,
        scope=HoldScope(hold.scope),
        person_id=hold.account_id,
        category=RetentionCategory(hold.category) if hold.category else None,
        reason=hold.reason,
        until=hold.until,
        placed_at=hold.placed_at,
        placed_by=hold.placed_by,
    )


async def retention_view(session: AsyncSession, access: Access) -> RetentionOut:
    """The periods in force for the school, its holds in force and its last sweeps."""
    policy, school = get_retention(), access.tenant
    periods = [
        PeriodOut(
            category=c,
            days=policy.days_for(c, school.retention),
            platform_days=policy.periods[c].days,
            shortened=policy.days_for(c, school.retention) < policy.periods[c].days,
            counted_from=policy.periods[c].counted_from,
            action=policy.periods[c].action.value,
            reason=policy.periods[c].reason,
        )
        for c in policy.school_categories()
    ]
    holds = await repository.active_holds(session, school.id, clock.now())
    runs = await repository.recent_runs(session, school.id, LAST_SWEEPS)
    await record_access(session, access, detail={"view": "retention"})
    return RetentionOut(
        periods=periods,
        holds=[hold_out(h) for h in holds],
        last_sweeps=[RunOut.model_validate(r, from_attributes=True) for r in runs],
    )


async def place_hold(session: AsyncSession, access: Access, body: HoldIn) -> LegalHold:
    school = access.tenant_id
    if body.scope == HoldScope.PERSON:
        if body.person_id is None:
            raise Invalid("person_id", "a person hold names the person")
        if not await repository.ever_a_member(session, school, body.person_id):
            raise Invalid("person_id", "not a person of this school")
    if body.scope == HoldScope.CATEGORY and body.category is None:
        raise Invalid("category", "a category hold names the category")
    if body.until is not None and body.until <= clock.now():
        raise Invalid("until", "must be in the future")
    hold = LegalHold(
        tenant_id=school,
        scope=body.scope,
        account_id=body.person_id if body.scope == HoldScope.PERSON else None,
        category=body.category if body.scope == HoldScope.CATEGORY else None,
        reason=body.reason,
        until=body.until,
        placed_by=access.account_id,
    )
    session.add(hold)
    await session.flush()
    subjects = [hold.account_id] if hold.account_id else []
    await record_access(
        session, access, subjects, detail={"hold": str(hold.id), "scope": hold.scope}
    )
    return hold


async def lift_hold(session: AsyncSession, access: Access, hold_id: str) -> None:
    """Lifted, not deleted: the hold stays as the record of why data was kept."""
    wanted = parse_id(hold_id)
    hold = await repository.hold(session, access.tenant_id, wanted) if wanted else None
    if hold is None or hold.lifted_at is not None:
        raise NotFound("no such hold")
    hold.lifted_at, hold.lifted_by = clock.now(), access.account_id
    session.add(hold)
    subjects = [hold.account_id] if hold.account_id else []
    await record_access(
        session, access, subjects, action=Action.DELETE, detail={"hold": str(hold.id)}
    )


SWEEP_LOCK = "retention-sweep"  # one sweep at a time, whatever the number of processes


async def sweep_all(
    db: Database,
    settings: Settings,
    slug: str | None,
    categories: list[RetentionCategory] | None,
    *,
    dry_run: bool,
    batch_size: int,
    trigger: str,
) -> list[SweepReport]:
    """One school (by slug), or every school then the platform's own categories."""
    async with db.session() as session:
        if slug is not None:
            school = await tenancy_repository.tenant_by_slug(session, slug)
            if school is None:
                raise UnknownSchool(slug)
            schools = [school]
        else:
            schools = list(await tenancy_repository.all_tenants(session))
    store = get_store(settings)
    reports = []
    for school in schools:
        reports.append(
            await sweep_school(
                db,
                store,
                school,
                categories,
                dry_run=dry_run,
                trigger=trigger,
                batch_size=batch_size,
            )
        )
    if slug is None:
        reports.append(
            await sweep_platform(
                db, categories, dry_run=dry_run, trigger=trigger, batch_size=batch_size
            )
        )
    return reports
