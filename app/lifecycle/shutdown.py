"""The service's shutdown (SHD-1..3): scheduled ahead by platform staff, told to every
person (in the app, in their language) and every school (its admins by SMS), shown by every
sign-in answer and `/v1/service/status`; after the date the final job deletes each school
with the offboarding deletion (each school's full export was built meanwhile) and
anonymises every account.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import (
    Account,
    DeviceSession,
    OtpCode,
    PlatformConsent,
    RefreshToken,
    ServiceShutdown,
    SignInFailure,
    SmsMessage,
    SmsSend,
)
from app.accounts.service import phone_of
from app.accounts.shutdown import announced
from app.accounts.sms import SmsUnavailable, make_sender
from app.core import clock
from app.core.context import ServiceContext
from app.core.db import Database, set_tenant
from app.core.errors import Conflict, Invalid, NotFound
from app.jobs.queue import enqueue
from app.jobs.registry import job
from app.lifecycle import offboarding, repository, wording
from app.lifecycle.models import OffboardingStatus
from app.lifecycle.schemas import ShutdownIn
from app.privacy import messages
from app.privacy.messages import NoticeKind
from app.tenancy.repository import all_tenants

ANNOUNCE_TASK = "lifecycle.shutdown_announce"
FINISH_TASK = "lifecycle.shutdown_finish"
MIN_NOTICE_DAYS = 30  # SHD-2: announced in advance
BATCH = 1000
_LOGIN_STATE = (
    RefreshToken, DeviceSession, OtpCode, SmsMessage, SmsSend, SignInFailure, PlatformConsent,
)  # fmt: skip


async def schedule(
    session: AsyncSession, staff_id: uuid.UUID | None, body: ShutdownIn
) -> tuple[ServiceShutdown, bool]:
    """The shutdown and every school's offboarding to its date; a retry returns it (False)."""
    if body.ends_at < clock.now() + timedelta(days=MIN_NOTICE_DAYS):
        raise Invalid("ends_at", f"a shutdown is announced at least {MIN_NOTICE_DAYS} days ahead")
    current = await announced(session)
    if current is not None:
        if current.ends_at == body.ends_at:
            return current, False
        raise Conflict(f"a shutdown is already scheduled for {current.ends_at.isoformat()}")
    shutdown = ServiceShutdown(
        ends_at=body.ends_at,
        message_zh=wording.shutdown_notice("zh", body.ends_at, body.message_zh)[1],
        message_en=wording.shutdown_notice("en", body.ends_at, body.message_en)[1],
        scheduled_by=staff_id,
    )
    session.add(shutdown)
    await session.flush()
    for tenant in await all_tenants(session):
        await offboarding.start(session, tenant, None, reason="shutdown", delete_after=body.ends_at)
    await set_tenant(session, None)
    args = {"shutdown_id": str(shutdown.id)}
    await enqueue(session, ANNOUNCE_TASK, args, lock=f"shutdown:{shutdown.id}")
    await enqueue(session, FINISH_TASK, args, run_after=body.ends_at)
    return shutdown, True


async def cancel(session: AsyncSession) -> ServiceShutdown:
    """Call the shutdown off before its date: the schools' offboardings to it end too."""
    shutdown = await announced(session)
    if shutdown is None:
        raise NotFound("no shutdown is scheduled")
    if shutdown.ends_at <= clock.now():
        raise Conflict("the shutdown date has passed")
    shutdown.status = "cancelled"
    for row in await repository.open_offboardings(session, reason="shutdown"):
        row.status, row.cancelled_at = OffboardingStatus.CANCELLED, clock.now()
    await session.flush()
    return shutdown


async def _people_after(owner: Database, after: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The next batch of active accounts (id, language), read as the owner: the app role sees
    no account it does not name (row-level security), and this tells everyone."""
    async with owner.session() as session:
        rows = await session.execute(
            select(col(Account.id), col(Account.language))
            .where(col(Account.status) == "active", col(Account.id) > after)
            .order_by(col(Account.id))
            .limit(BATCH)
        )
        return [(i, lang) for i, lang in rows.all()]


async def _tell_people(ctx: ServiceContext, shutdown: ServiceShutdown) -> int:
    """Every active account, in batches by id; a rerun skips who was told."""
    return await _tell_batches(ctx, ctx.db.as_owner(), shutdown)


async def _tell_batches(ctx: ServiceContext, owner: Database, shutdown: ServiceShutdown) -> int:
    told, after = 0, uuid.UUID(int=0)
    while True:
        people = await _people_after(owner, after)
        async with ctx.db.session() as session:
            for person_id, person_language in people:
                language = messages.language_of(person_language)
                body = shutdown.message_en if language == "en" else shutdown.message_zh
                title = wording.shutdown_notice(language, shutdown.ends_at, "")[0]
                _, new = await messages.tell(
                    session, person_id, NoticeKind.SHUTDOWN, shutdown.id,
                    title=title, body=body, language=language,
                )  # fmt: skip
                told += new
        if len(people) < BATCH:
            return told
        after = people[-1][0]


async def _tell_schools(ctx: ServiceContext, shutdown: ServiceShutdown) -> int:
    """Each school through its admins, by SMS (the configured sender)."""
    sender, told = make_sender(ctx.settings, ctx.keys), 0
    async with ctx.db.session() as session:
        tenants = list(await all_tenants(session))
    for tenant in tenants:
        async with ctx.db.session() as session:
            await set_tenant(session, tenant.id)
            admins = await repository.admin_ids(session, tenant.id)
            for admin in await repository.active_accounts(session, admins):
                text = shutdown.message_en if admin.language == "en" else shutdown.message_zh
                try:
                    await sender.send(
                        session, phone_of(ctx.keys, admin), f"[Rostra] {text}"[:500], None
                    )
                    told += 1
                except SmsUnavailable:  # the in-app notice still reaches them
                    continue
    return told


async def announce(ctx: ServiceContext, shutdown_id: uuid.UUID) -> tuple[int, int]:
    async with ctx.db.session() as session:
        shutdown = await session.get(ServiceShutdown, shutdown_id)
    if shutdown is None or shutdown.status != "scheduled":
        return 0, 0
    return await _tell_people(ctx, shutdown), await _tell_schools(ctx, shutdown)


@job(ANNOUNCE_TASK)
async def shutdown_announce(ctx: ServiceContext, args: dict[str, Any]) -> None:
    await announce(ctx, uuid.UUID(str(args["shutdown_id"])))


async def _anonymise_accounts(db: Database) -> int:
    """Every account keeps only its id: number, name and password gone, sign-in ended."""
    account = Account.__table__  # type: ignore[attr-defined]
    async with db.session() as session:
        for model in _LOGIN_STATE:
            await session.execute(delete(model))
        result = await session.execute(
            update(account)
            .where(account.c.status != "closed")
            .values(
                status="closed", phone_hash=literal("closed:", String) + cast(account.c.id, String),
                phone_enc="", phone_masked="closed", display_name=None, password_hash=None,
            )
        )  # fmt: skip
    return int(getattr(result, "rowcount", 0) or 0)


async def finish(ctx: ServiceContext) -> dict[str, Any] | None:
    """After the date: every school deleted and proved, every account anonymised (SHD-3)."""
    async with ctx.db.session() as session:
        shutdown = await announced(session)
    if shutdown is None or shutdown.ends_at > clock.now():
        return None
    proofs = await offboarding.run_due(ctx)  # each school's whole-school log entry too
    db = ctx.db.as_owner()
    anonymised = await _anonymise_accounts(db)
    async with db.session() as session:
        await session.execute(
            update(ServiceShutdown)
            .where(col(ServiceShutdown.id) == shutdown.id)
            .values(status="done", finished_at=clock.now())
        )
    return {"schools_deleted": [p.slug for p in proofs], "accounts_anonymised": anonymised}


@job(FINISH_TASK)
async def shutdown_finish(ctx: ServiceContext, args: dict[str, Any]) -> None:
    await finish(ctx)
