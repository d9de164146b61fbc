"""The controllers' side: a school's admins and platform staff list and decide requests.

Lists flag what is due within 3 working days and what is overdue (RGT-25); a refusal of a
repeated or excessive request records its reason (RGT-19/20).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account
from app.authz.access import Access
from app.authz.audit import record
from app.core.db import set_account, set_tenant
from app.core.errors import Forbidden, NotFound
from app.core.ids import parse_id
from app.core.pagination import PageParams, paginate
from app.privacy.notices import today
from app.rights import deadlines, repository
from app.rights.decisions import decide_account_part, decide_part, settle
from app.rights.erasure import erase_in_school
from app.rights.filed import Filed
from app.rights.history import append as _append
from app.rights.history import step
from app.rights.models import RequestType, RightsRequest, SchoolRightsRequest
from app.rights.schemas import DecideIn, Decision
from app.rights.service import attach_parts
from app.rights.workdays import WorkdayCalendar
from app.roster.scopes import person_predicate


class Flag(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def _flag_where(
    calendar: WorkdayCalendar, flag: Flag | None, due: Any, open_: ColumnElement[bool]
) -> list[ColumnElement[bool]]:
    on = today()
    if flag == Flag.OVERDUE:
        return [open_, due < on]
    if flag == Flag.DUE_SOON:
        until = deadlines.due_soon_until(calendar, on)
        return [open_, due >= on, due <= until]
    return []


async def school_requests(
    session: AsyncSession,
    calendar: WorkdayCalendar,
    access: Access,
    flag: Flag | None,
    page: PageParams,
) -> tuple[list[tuple[SchoolRightsRequest, RightsRequest]], str | None]:
    where = _flag_where(calendar, flag, col(SchoolRightsRequest.due_on), repository.OPEN_PART)
    where.append(person_predicate(access, col(SchoolRightsRequest.account_id)))
    rows = await repository.school_parts(
        session, access.tenant_id, where, page.after_time_id(), page.fetch
    )
    parts, cursor = paginate(rows, page.limit, lambda p: [p.created_at.isoformat(), p.id])
    parents = await repository.requests_by_ids(session, [p.request_id for p in parts])
    await _audit(session, access, [p.account_id for p in parts], {"listed": len(parts)})
    return [(p, parents[p.request_id]) for p in parts], cursor


async def _audit(
    session: AsyncSession, access: Access, subjects: Sequence[uuid.UUID], detail: dict[str, object]
) -> None:
    await record(
        session,
        tenant_id=access.tenant_id,
        actor_id=access.account_id,
        actor_kind=access.actor_kind,
        grant_id=access.grant_id,
        record_kind=access.record_kind,
        action=access.action,
        purpose=access.purpose,
        subjects=subjects,
        request_id=access.request_id,
        detail=detail,
    )


async def decide_school_part(
    session: AsyncSession, access: Access, part_id: str, body: DecideIn
) -> tuple[SchoolRightsRequest, RightsRequest, bool]:
    wanted = parse_id(part_id)
    visible = person_predicate(access, col(SchoolRightsRequest.account_id))
    part = (
        await repository.school_part(session, access.tenant_id, wanted, visible) if wanted else None
    )
    if part is None:
        raise NotFound("no such request")
    changed = decide_part(part, access.account_id, body)
    request = await repository.request_by_id(session, part.request_id)
    assert request is not None  # a part always has its request (foreign key)
    if changed:
        detail: dict[str, object] = {"decided": body.decision}
        if body.decision == Decision.APPROVE and part.type in ERASING:
            detail["erased"] = await carry_out_deletion(session, part)
        await session.flush()
        filed = (await attach_parts(session, part.account_id, [request]))[0]
        settle(filed)
        await set_tenant(session, access.tenant_id)
        if body.exception:
            detail["exception"] = body.exception  # RGT-21: the code is logged
        await _audit(session, access, [part.account_id], detail)
    return part, request, changed


ERASING = frozenset({RequestType.DELETION, RequestType.CANCELLATION})


async def carry_out_deletion(session: AsyncSession, part: SchoolRightsRequest) -> dict[str, int]:
    """The school approved deleting: Rostra deletes the person's data there now (TPS-8)."""
    counts = await erase_in_school(session, part.tenant_id, part.account_id, part.id)
    note = f"carried out: {sum(counts.values())} records of the person deleted in the school"
    _append(part, step(part.status, None, "platform", note))
    return counts


# --- platform staff --------------------------------------------------------------------


def require_staff(account: Account) -> None:
    if not account.is_staff:
        raise Forbidden("only platform staff decide account-level requests")


async def platform_requests(
    session: AsyncSession,
    calendar: WorkdayCalendar,
    flag: Flag | None,
    page: PageParams,
) -> tuple[list[Filed], str | None]:
    where = _flag_where(calendar, flag, col(RightsRequest.due_on), repository.OPEN_REQUEST)
    rows = await repository.platform_requests(session, where, page.after_time_id(), page.fetch)
    requests, cursor = paginate(rows, page.limit, lambda r: [r.created_at.isoformat(), r.id])
    filed = [(await attach_parts(session, r.account_id, [r]))[0] for r in requests]
    return filed, cursor


async def decide_platform_part(
    session: AsyncSession, staff: Account, request_id: str, body: DecideIn
) -> tuple[Filed, bool]:
    wanted = parse_id(request_id)
    request = await repository.request_by_id(session, wanted) if wanted else None
    if request is None:
        raise NotFound("no such request")
    changed = decide_account_part(request, staff.id, body)
    filed = (await attach_parts(session, request.account_id, [request]))[0]
    if changed:
        settle(filed)
    await set_account(session, None)
    return filed, changed
