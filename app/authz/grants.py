"""Support grants (AUZ-8): a school lets one platform staff account read, for a while.

Rules only: no HTTP, never commits.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.accounts.service import find_account
from app.authz import repository
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.models import SupportGrant
from app.authz.schemas import SupportGrantIn, SupportGrantOut
from app.core import clock
from app.core.errors import InvalidMany, NotFound
from app.core.pagination import PageParams, paginate
from app.core.phones import InvalidPhone, normalize
from app.core.policy import get_policy
from app.core.security import Keys
from app.core.vocabulary import Purpose, RecordKind

MAX_GRANT = timedelta(days=7)


def grant_status(grant: SupportGrant) -> str:
    if grant.revoked_at is not None:
        return "revoked"
    return "active" if grant.expires_at > clock.now() else "expired"


def grant_out(grant: SupportGrant, staff: Account) -> SupportGrantOut:
    return SupportGrantOut(
        id=grant.id,
        staff_account_id=grant.staff_account_id,
        staff_phone_masked=staff.phone_masked,
        record_kinds=list(grant.record_kinds),
        purpose=grant.purpose,
        reason=grant.reason,
        expires_at=grant.expires_at,
        created_by=grant.created_by,
        created_at=grant.created_at,
        revoked_at=grant.revoked_at,
        status=grant_status(grant),
    )


async def _staff_account(
    session: AsyncSession, keys: Keys, region: str, raw_phone: str, errors: list[dict[str, str]]
) -> Account | None:
    try:
        e164 = normalize(raw_phone, region)
    except InvalidPhone as exc:
        errors.append({"field": "staff_phone", "message": str(exc)})
        return None
    account = await find_account(session, keys, e164)
    if account is None or not account.is_staff or account.status != "active":
        errors.append({"field": "staff_phone", "message": "not a platform staff account"})
        return None
    return account


def _check_scope_of_grant(body: SupportGrantIn, errors: list[dict[str, str]]) -> None:
    policy = get_policy()
    known_kinds = set(RecordKind)
    unknown = [k for k in body.record_kinds if k not in known_kinds]
    if unknown:
        errors.append({"field": "record_kinds", "message": f"unknown record kind(s): {unknown}"})
    if body.purpose not in set(Purpose):
        errors.append({"field": "purpose", "message": "not a purpose of the published notice"})
    elif not unknown:
        outside = [k for k in body.record_kinds if not policy.purpose_covers(body.purpose, k)]
        if outside:
            errors.append(
                {
                    "field": "record_kinds",
                    "message": f"purpose '{body.purpose}' does not cover: {', '.join(outside)}",
                }
            )
    now = clock.now()
    if body.expires_at <= now:
        errors.append({"field": "expires_at", "message": "must be in the future"})
    elif body.expires_at > now + MAX_GRANT:
        errors.append({"field": "expires_at", "message": "at most 7 days from now"})


async def create_grant(
    session: AsyncSession, keys: Keys, region: str, access: Access, body: SupportGrantIn
) -> tuple[SupportGrant, Account]:
    """Issue a grant; an identical live grant (a retried request) is returned as it is."""
    errors: list[dict[str, str]] = []
    _check_scope_of_grant(body, errors)
    staff = await _staff_account(session, keys, region, body.staff_phone, errors)
    if errors or staff is None:
        raise InvalidMany(errors)
    kinds = sorted(set(body.record_kinds))
    for existing in await repository.live_grants_of_staff(
        session, access.tenant_id, staff.id, clock.now()
    ):
        if (
            sorted(existing.record_kinds) == kinds
            and existing.purpose == body.purpose
            and existing.expires_at == body.expires_at
            and existing.reason == body.reason
        ):
            return existing, staff
    grant = SupportGrant(
        tenant_id=access.tenant_id,
        staff_account_id=staff.id,
        record_kinds=kinds,
        purpose=body.purpose,
        reason=body.reason,
        expires_at=body.expires_at,
        created_by=access.account_id,
    )
    session.add(grant)
    await session.flush()
    await record_access(
        session,
        access,
        [staff.id],
        detail={"grant_id": str(grant.id), "record_kinds": kinds, "purpose": body.purpose},
    )
    return grant, staff


async def revoke_grant(session: AsyncSession, access: Access, grant_id: uuid.UUID | None) -> None:
    """Revoke now; revoking a revoked grant changes nothing (a retried request)."""
    grant = None
    if grant_id is not None:
        grant = await repository.grant_by_id(session, access.tenant_id, grant_id)
    if grant is None:
        raise NotFound("no such support grant")
    if grant.revoked_at is None:
        grant.revoked_at = clock.now()
        grant.revoked_by = access.account_id
        session.add(grant)
        await session.flush()
        await record_access(
            session, access, [grant.staff_account_id], detail={"grant_id": str(grant.id)}
        )


async def list_grants(
    session: AsyncSession, access: Access, page: PageParams
) -> tuple[list[SupportGrantOut], str | None]:
    """One page of the school's grants, newest first; the staff accounts shown are audited."""
    rows = await repository.list_grants(
        session, access.tenant_id, before=page.after_id(), limit=page.fetch
    )
    shown, next_cursor = paginate(rows, page.limit, cursor_of=lambda row: [str(row[0].id)])
    await record_access(session, access, {g.staff_account_id for g, _ in shown})
    return [grant_out(g, a) for g, a in shown], next_cursor
