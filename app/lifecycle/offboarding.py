"""A school leaves Rostra (TPS-8): its admin starts it, the full export is built, and after
the notice period (the school's `offboarding_notice_days`, cancellable until then) every
row and object of the school is deleted and the deletion proved (see `deletion`).

People who belong to no other school are offered the cancellation of their account; their
accounts are not deleted behind their back (Rostra, not the school, controls the account).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.audit import record
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import set_account, set_tenant
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.vocabulary import Action, ActorKind, Purpose, RecordKind, Role
from app.jobs.queue import enqueue
from app.jobs.registry import job
from app.lifecycle import deletion, repository, wording
from app.lifecycle.models import DeletionProof, Offboarding, OffboardingStatus
from app.lifecycle.school_export import build_school_export
from app.privacy import messages
from app.privacy.messages import NoticeKind
from app.tenancy.deps import Member
from app.tenancy.models import Tenant
from app.tenancy.repository import memberships_of_account

EXPORT_TASK = "lifecycle.offboarding_export"
DELETE_TASK = "lifecycle.offboarding_delete"


def require_admin(member: Member) -> None:
    """A school's admin may; another member is refused; anyone else sees no school."""
    if Role.SCHOOL_ADMIN in member.roles:
        return
    if not member.roles:
        raise NotFound("no such school")
    raise Forbidden("only the school's admins may offboard it")


async def _audit(
    session: AsyncSession, tenant: Tenant, actor: uuid.UUID | None, detail: dict[str, Any]
) -> None:
    await set_tenant(session, tenant.id)
    await record(
        session, tenant_id=tenant.id, actor_id=actor,
        actor_kind=ActorKind.MEMBER if actor else ActorKind.SYSTEM,
        record_kind=RecordKind.MEMBER, action=Action.DELETE, purpose=Purpose.TEACHING_MANAGEMENT,
        detail=detail,
    )  # fmt: skip


async def start(
    session: AsyncSession,
    tenant: Tenant,
    requested_by: uuid.UUID | None,
    *,
    reason: str = "offboarding",
    delete_after: datetime | None = None,
) -> tuple[Offboarding, bool]:
    """The school's offboarding, begun now unless one is under way (then False)."""
    current = await repository.open_offboarding(session, tenant.id)
    if current is not None:
        return current, False
    now = clock.now()
    offboarding = Offboarding(
        school_id=tenant.id, slug=tenant.slug, reason=reason, requested_by=requested_by,
        requested_at=now,
        delete_after=delete_after or now + timedelta(days=tenant.offboarding_notice_days),
    )  # fmt: skip
    session.add(offboarding)
    await session.flush()
    args = {"offboarding_id": str(offboarding.id)}
    await enqueue(session, EXPORT_TASK, args, lock=f"offboarding:{offboarding.id}")
    await enqueue(session, DELETE_TASK, args, run_after=offboarding.delete_after)
    await _audit(
        session, tenant, requested_by,
        {"offboarding": str(offboarding.id), "delete_after": offboarding.delete_after.isoformat()},
    )  # fmt: skip
    return offboarding, True


async def current(session: AsyncSession, tenant: Tenant) -> Offboarding:
    found = await repository.open_offboarding(session, tenant.id)
    if found is None:
        raise NotFound("the school is not being offboarded")
    return found


async def cancel(session: AsyncSession, tenant: Tenant, by: uuid.UUID | None) -> Offboarding:
    """Until the notice period ends; after it the deletion goes ahead (409)."""
    offboarding = await current(session, tenant)
    if clock.now() >= offboarding.delete_after:
        raise Conflict("the notice period has ended: the school's data is being deleted")
    offboarding.status = OffboardingStatus.CANCELLED
    offboarding.cancelled_at = clock.now()
    await session.flush()
    await _audit(session, tenant, by, {"offboarding": str(offboarding.id), "cancelled": True})
    return offboarding


async def record_download(session: AsyncSession, tenant: Tenant, member: Member) -> None:
    await set_tenant(session, tenant.id)
    await record(
        session, tenant_id=tenant.id, actor_id=member.account.id, actor_kind=ActorKind.MEMBER,
        record_kind=RecordKind.MEMBER, action=Action.EXPORT, purpose=Purpose.TEACHING_MANAGEMENT,
        detail={"offboarding_export": True},
    )  # fmt: skip


# --- the jobs --------------------------------------------------------------------------


async def offer_cancellation(ctx: ServiceContext, offboarding_id: uuid.UUID) -> int:
    """Tell each person of the school who is in no other school that they may cancel."""
    offered = 0
    async with ctx.db.session() as session:
        offboarding = await session.get(Offboarding, offboarding_id)
        tenant = await session.get(Tenant, offboarding.school_id) if offboarding else None
        if offboarding is None or tenant is None:
            return 0
        await set_tenant(session, tenant.id)
        people = await repository.active_accounts(
            session, await repository.member_ids(session, tenant.id)
        )
        for person in people:
            await set_account(session, person.id)
            schools = {m.tenant_id for m, _ in await memberships_of_account(session, person.id)}
            if schools - {tenant.id}:
                continue
            language = messages.language_of(person.language)
            title, body = wording.offboarding_offer(language, tenant.name, offboarding.delete_after)
            _, told = await messages.tell(
                session, person.id, NoticeKind.OFFBOARDING, offboarding.id,
                title=title, body=body, language=language, school_id=tenant.id,
            )  # fmt: skip
            offered += told
    return offered


@job(EXPORT_TASK)
async def offboarding_export(ctx: ServiceContext, args: dict[str, Any]) -> None:
    offboarding_id = uuid.UUID(str(args["offboarding_id"]))
    await build_school_export(ctx, offboarding_id)
    async with ctx.db.session() as session:
        offboarding = await session.get(Offboarding, offboarding_id)
    if offboarding is not None and offboarding.reason == "offboarding":
        await offer_cancellation(ctx, offboarding_id)  # a shutdown tells everyone itself


async def run_due(ctx: ServiceContext) -> list[DeletionProof]:
    """Delete every school whose notice period has ended (the job, `tenants offboard --due`)."""
    async with ctx.db.session() as session:
        due = [o.id for o in await repository.due_offboardings(session, clock.now())]
    proofs = []
    for offboarding_id in due:
        proof = await deletion.delete_school(ctx, offboarding_id)
        if proof is not None:
            proofs.append(proof)
    return proofs


@job(DELETE_TASK)
async def offboarding_delete(ctx: ServiceContext, args: dict[str, Any]) -> None:
    """Queued for the end of the notice period; a cancelled or early one does nothing."""
    async with ctx.db.session() as session:
        offboarding = await session.get(Offboarding, uuid.UUID(str(args["offboarding_id"])))
    if offboarding is None or offboarding.status != OffboardingStatus.SCHEDULED:
        return
    if offboarding.delete_after <= clock.now():
        await deletion.delete_school(ctx, offboarding.id)
