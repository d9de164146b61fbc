"""Rights requests: file, verify identity, route to each controller, decide, settle.

A request is one row for what the person filed plus the account-level part Rostra
decides; each school controlling affected classroom data gets a linked part it decides
(TPS-8: Rostra carries the decision out). The request settles when every part is closed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.accounts.service import phone_of, verify_code
from app.authz.audit import record
from app.core.context import ServiceContext
from app.core.db import set_account, set_tenant
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.core.vocabulary import Action, Purpose, RecordKind
from app.privacy.notices import today
from app.privacy.subjects import Subject
from app.rights import cancellation, deadlines, repository
from app.rights.decisions import settle
from app.rights.export.service import start_access_export
from app.rights.filed import Filed
from app.rights.history import append as _append
from app.rights.history import step
from app.rights.models import (
    CLOSED,
    Erasure,
    RequestStatus,
    RequestType,
    RightsRequest,
    SchoolRightsRequest,
)
from app.rights.profile import service as profile
from app.rights.schemas import Decision, RequestIn
from app.rights.workdays import WorkdayCalendar
from app.tenancy.models import Tenant
from app.tenancy.repository import all_tenants

PLATFORM = "platform"
REPEAT_WINDOW = timedelta(days=30)  # RGT-19/20: the same type again within it is flagged
NEEDS_SMS = frozenset({RequestType.DELETION, RequestType.CANCELLATION})  # RGT-18
ALL_SCHOOLS = frozenset({RequestType.CORRECTION, RequestType.DELETION, RequestType.WITHDRAWAL})


# --- validate and verify ---------------------------------------------------------------


def _controllers(subject: Subject, body: RequestIn) -> tuple[bool, list[Tenant]]:
    """(Rostra decides a part, the schools that do) for this request."""
    slugs = {t.slug: t for t in subject.tenants()}
    if body.controllers is None:
        schools = list(slugs.values()) if body.type in ALL_SCHOOLS else []
        return True, schools
    unknown = [c for c in body.controllers if c != PLATFORM and c not in slugs]
    if unknown or not body.controllers:
        raise Invalid("controllers", f"not platform or one of your schools: {unknown}")
    if body.type in (RequestType.ACCESS, RequestType.CANCELLATION) and (
        body.controllers != [PLATFORM]
    ):
        raise Invalid("controllers", f"a {body.type} request is handled by the platform")
    chosen = dict.fromkeys(body.controllers)
    return PLATFORM in chosen, [slugs[c] for c in chosen if c != PLATFORM]


def _validate(body: RequestIn) -> None:
    if body.type == RequestType.DELETION and body.grounds is None:
        raise Invalid("grounds", "a deletion request names its grounds (RGT-5)")
    if body.type != RequestType.DELETION and body.grounds is not None:
        raise Invalid("grounds", "only a deletion request has grounds")
    if body.type == RequestType.CANCELLATION and body.erasure is None:
        raise Invalid("erasure", "choose delete or anonymise for the account data (RGT-15)")
    if body.type != RequestType.CANCELLATION and body.erasure is not None:
        raise Invalid("erasure", "only a cancellation request chooses the erasure")


async def _verify_sms(ctx: ServiceContext, actor: Account, code: str | None) -> None:
    """A fresh code sent to the actor's phone; the try counts even when the request fails."""
    if not code:
        raise Invalid("sms_code", "this request needs a fresh SMS code (POST /v1/auth/otp)")
    async with ctx.db.session() as own:  # its own transaction: a wrong try stays counted
        ok = await verify_code(own, ctx.settings, ctx.keys, phone_of(ctx.keys, actor), code)
    if not ok:
        raise Invalid("sms_code", "the code is wrong, expired or used up")


# --- file ------------------------------------------------------------------------------


async def _duplicate(session: AsyncSession, subject: Subject, body: RequestIn) -> Filed | None:
    """A retry: the same open request filed today is answered again, not filed twice."""
    latest = await repository.latest_of_type(session, subject.account.id, body.type, today())
    if latest is None or latest.status in CLOSED or latest.details != body.details:
        return None
    return await load(session, subject, latest.id)


def _new_request(
    subject: Subject, body: RequestIn, account_level: bool, calendar: WorkdayCalendar
) -> RightsRequest:
    received = today()
    due = deadlines.due_from(calendar, received)
    by_kind = "guardian" if subject.by_guardian else "person"
    identity = "session + SMS code" if body.type in NEEDS_SMS else "signed-in session"
    return RightsRequest(
        account_id=subject.account.id,
        filed_by=subject.actor.id,
        type=body.type,
        details=body.details,
        grounds=body.grounds,
        erasure=body.erasure,
        account_level=account_level,
        status=RequestStatus.IDENTITY_VERIFIED,
        received_on=received,
        due_on=due.on,
        provisional=due.provisional,
        history=[
            step(RequestStatus.RECEIVED, subject.actor.id, by_kind),
            step(RequestStatus.IDENTITY_VERIFIED, subject.actor.id, "system", identity),
        ],
    )


async def _route(
    session: AsyncSession,
    filed: Filed,
    schools: list[Tenant],
    status: RequestStatus,
    notes: dict[uuid.UUID, str] | None = None,
) -> None:
    request = filed.request
    for tenant in schools:
        await set_tenant(session, tenant.id)
        history = [step(status, None, "system", "routed to the school as controller")]
        if notes and tenant.id in notes:
            history.append(step(status, None, "system", notes[tenant.id]))
        part = SchoolRightsRequest(
            tenant_id=tenant.id,
            request_id=request.id,
            account_id=request.account_id,
            type=request.type,
            status=status,
            due_on=request.due_on,
            provisional=request.provisional,
            history=history,
        )
        session.add(part)
        await session.flush()
        filed.parts.append(part)
        filed.schools[tenant.id] = tenant


async def file_request(
    session: AsyncSession,
    ctx: ServiceContext,
    calendar: WorkdayCalendar,
    subject: Subject,
    body: RequestIn,
    request_id: str | None,
    language: str = "zh",
) -> Filed:
    _validate(body)
    account_level, schools = _controllers(subject, body)
    again = await _duplicate(session, subject, body)
    if again is not None:
        again.created = False
        return again
    if body.type in NEEDS_SMS:
        await _verify_sms(ctx, subject.actor, body.sms_code)
    # After the code's own commit: a refusal from here on leaves nothing of the request (a
    # portal form shows it on the page), and on SQLite the savepoint's transaction begins
    # after that commit, not before it (app/core/db._sqlite_savepoint).
    async with session.begin_nested():
        return await _write_request(session, ctx, subject, body, schools, account_level,
                                    calendar, request_id, language)  # fmt: skip


async def _write_request(
    session: AsyncSession, ctx: ServiceContext, subject: Subject, body: RequestIn,
    schools: list[Tenant],
    account_level: bool, calendar: WorkdayCalendar, request_id: str | None, language: str,
) -> Filed:  # fmt: skip
    if body.type == RequestType.CANCELLATION:
        await cancellation.check(session, subject, today())
    since = today() - REPEAT_WINDOW
    earlier = await repository.latest_of_type(session, subject.account.id, body.type, since)
    request = _new_request(subject, body, account_level, calendar)
    request.repeat_of = earlier.id if earlier else None
    session.add(request)
    await session.flush()
    filed = Filed(request)
    await _route(session, filed, schools, RequestStatus.IDENTITY_VERIFIED)
    if body.type == RequestType.ACCESS:
        await _fulfil_access(session, filed, language)
    elif body.type == RequestType.CANCELLATION:
        await _carry_out_cancellation(session, ctx, subject, filed)
    else:
        _start(request, "routed to " + ", ".join(_routed_names(filed)))
    await _audit_filed(session, subject, filed, request_id)
    return filed


def _routed_names(filed: Filed) -> list[str]:
    names = [PLATFORM] if filed.request.account_level else []
    return names + [filed.schools[p.tenant_id].slug for p in filed.parts]


def _start(request: RightsRequest, note: str) -> None:
    request.status = RequestStatus.IN_PROGRESS
    _append(request, step(RequestStatus.IN_PROGRESS, None, "system", note))


async def _fulfil_access(session: AsyncSession, filed: Filed, language: str) -> None:
    """Self-service access (verified by the session): hand the request to the export job,
    in this transaction; the job marks the request done when the archive is ready."""
    request = filed.request
    _start(request, "access export started")
    await start_access_export(
        session,
        account_id=request.account_id,
        requested_by=request.filed_by,
        request_id=request.id,
        language=language,
    )


async def _carry_out_cancellation(
    session: AsyncSession, ctx: ServiceContext, subject: Subject, filed: Filed
) -> None:
    """Irreversible (RGT-15): memberships end, each school is told, the account is erased
    (its profile with it: nickname and avatar)."""
    request = filed.request
    erasure = Erasure(request.erasure or Erasure.ANONYMISE)
    _start(request, f"cancellation carried out ({erasure})")
    ended = await cancellation.end_memberships(session, subject)
    schools = {t.id: t for t in await all_tenants(session)}
    # With "delete" each school decides on its classroom records; otherwise it is told.
    status = RequestStatus.IDENTITY_VERIFIED if erasure == Erasure.DELETE else RequestStatus.DONE
    notes = {tid: "memberships ended: " + ", ".join(sorted(roles)) for tid, roles in ended.items()}
    await _route(session, filed, [schools[tid] for tid in ended], status, notes)
    await profile.remove_avatar(session, ctx.settings, subject.account)
    subject.account.nickname = None
    await cancellation.erase_account(session, subject, erasure)
    request.decision = Decision.APPROVE
    _append(request, step(RequestStatus.DONE, None, "platform", "account part: cancelled"))
    settle(filed)


async def _audit_filed(
    session: AsyncSession, subject: Subject, filed: Filed, request_id: str | None
) -> None:
    for part in filed.parts:
        await set_tenant(session, part.tenant_id)
        await record(
            session,
            tenant_id=part.tenant_id,
            actor_id=subject.actor.id,
            actor_kind="member",
            record_kind=RecordKind.RIGHTS_REQUEST,
            action=Action.CREATE,
            purpose=Purpose.RIGHTS_HANDLING,
            subjects=[subject.account.id],
            request_id=request_id,
            detail={"type": filed.request.type, "part": str(part.id)},
        )


# --- read ------------------------------------------------------------------------------


async def attach_parts(
    session: AsyncSession, account_id: uuid.UUID, requests: list[RightsRequest]
) -> list[Filed]:
    await set_account(session, account_id)
    await set_tenant(session, None)
    parts = await repository.parts_of(session, [r.id for r in requests])
    schools = {t.id: t for t in await all_tenants(session)}
    return [
        Filed(r, [p for p in parts if p.request_id == r.id], schools, created=False)
        for r in requests
    ]


async def load(session: AsyncSession, subject: Subject, request_id: str | uuid.UUID) -> Filed:
    wanted = request_id if isinstance(request_id, uuid.UUID) else parse_id(request_id)
    found = await repository.request_of(session, subject.account.id, wanted) if wanted else None
    if found is None:
        raise NotFound("no such request")
    return (await attach_parts(session, subject.account.id, [found]))[0]


async def refresh_due(session: AsyncSession, calendar: WorkdayCalendar, filed: Filed) -> None:
    """A provisional date is counted again once the schedule covers it."""
    due = deadlines.recount(calendar, filed.request)
    if due is None:
        return
    filed.request.due_on, filed.request.provisional = due.on, False
    await session.flush()
    for part in filed.parts:  # row-level security checks each school's row in its own
        await set_tenant(session, part.tenant_id)
        part.due_on, part.provisional = due.on, False
        await session.flush()


async def requests_of(
    session: AsyncSession, calendar: WorkdayCalendar, subject: Subject, page: PageParams
) -> tuple[list[Filed], str | None]:
    rows = await repository.requests_of(
        session, subject.account.id, page.after_time_id(), page.fetch
    )
    requests, cursor = paginate(rows, page.limit, lambda r: [r.created_at.isoformat(), r.id])
    filed = await attach_parts(session, subject.account.id, requests)
    for one in filed:
        await refresh_due(session, calendar, one)
    return filed, cursor
