"""Large roster files applied by a job (`roster.import_apply`), so the admin's page can
follow the run (queued -> running -> done or failed) instead of waiting on one request.

The run re-decides the admin's access when it starts (a role removed meanwhile stops it),
applies the file as the import API would (all or nothing, the import being the school's
consent attestation), writes the same audit entry, and drops the file when it ends.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account_by_id
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.decision import decide
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.errors import DomainError, NotFound
from app.core.ids import parse_id
from app.core.vocabulary import Action, Purpose, RecordKind
from app.jobs.queue import enqueue
from app.jobs.registry import job
from app.roster.imports.service import archive_limits, import_roster, school_orgs
from app.roster.models import ImportRun, ImportRunStatus
from app.tenancy.deps import Member
from app.tenancy.repository import live_roles, tenant_by_id

TASK = "roster.import_apply"
FINISHED = (ImportRunStatus.done, ImportRunStatus.failed)


async def start_run(session: AsyncSession, access: Access, data: bytes) -> ImportRun:
    """The run and its job, in the caller's transaction (both exist once it commits)."""
    run = ImportRun(
        tenant_id=access.tenant_id,
        data=data,
        size_bytes=len(data),
        created_by=access.account_id,
        request_id=access.request_id,
    )
    session.add(run)
    await session.flush()
    await enqueue(session, TASK, {"tenant_id": str(run.tenant_id), "run_id": str(run.id)})
    return run


async def run_of(session: AsyncSession, tenant_id: uuid.UUID, run_id: str) -> ImportRun:
    wanted = parse_id(run_id)
    found = None
    if wanted is not None:
        query = select(ImportRun).where(
            col(ImportRun.tenant_id) == tenant_id, col(ImportRun.id) == wanted
        )
        found = (await session.execute(query)).scalars().first()
    if found is None:
        raise NotFound("no such import")
    return found


async def _claim(ctx: ServiceContext, tenant_id: uuid.UUID, run_id: str) -> bool:
    """queued -> running, committed, so the page shows it; False when already finished."""
    async with ctx.db.session() as session:
        await set_tenant(session, tenant_id)
        run = await run_of(session, tenant_id, run_id)
        if run.status in FINISHED:
            return False
        run.status, run.started_at = ImportRunStatus.running, clock.now()
    return True


async def _admin_access(session: AsyncSession, run: ImportRun) -> Access:
    tenant = await tenant_by_id(session, run.tenant_id)
    account = await account_by_id(session, run.created_by)
    if tenant is None or account is None:
        raise NotFound("the school or the admin is gone")
    member = Member(tenant, account, await live_roles(session, tenant.id, account.id))
    purpose = Purpose.TEACHING_MANAGEMENT
    return decide(member, RecordKind.MEMBER, Action.CREATE, purpose, request_id=run.request_id)


async def _apply(ctx: ServiceContext, session: AsyncSession, run: ImportRun) -> None:
    access = await _admin_access(session, run)
    school = school_orgs(ctx.settings, access.tenant)
    result, writes = await import_roster(
        session, ctx.keys, access.tenant, access.account_id, run.data or b"",
        region=school.phone_region, limits=archive_limits(ctx.settings), orgs=school.orgs,
    )  # fmt: skip
    plan: dict[str, Any] = result.plan.model_dump(mode="json")
    run.plan = plan
    if result.errors:
        run.status, run.errors = ImportRunStatus.failed, [asdict(e) for e in result.errors]
        return
    await record_access(session, access, writes.subjects, detail={"import": plan})
    run.status = ImportRunStatus.done


@job(TASK)
async def apply_run(ctx: ServiceContext, args: dict[str, Any]) -> None:
    tenant_id, run_id = uuid.UUID(str(args["tenant_id"])), str(args["run_id"])
    if not await _claim(ctx, tenant_id, run_id):
        return
    async with ctx.db.session() as session:
        await set_tenant(session, tenant_id)
        run = await run_of(session, tenant_id, run_id)
        try:
            async with session.begin_nested():  # a refused run writes nothing of the file
                await _apply(ctx, session, run)
        except DomainError as exc:
            run.status = ImportRunStatus.failed
            run.errors = [{"file": "", "line": 0, "column": None, "message": exc.detail}]
        run.data, run.finished_at = None, clock.now()
