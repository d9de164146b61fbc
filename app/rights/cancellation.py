"""Account cancellation (RGT-11..16, RET-8): preconditions, then the irreversible steps.

Each precondition has a code; a request failing any of them is refused with all the
failed codes. Carried out, the account stops working, its number is freed for a new
registration, its identifiers are erased, and each school is told which memberships ended.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.db import set_account, set_tenant
from app.core.errors import Conflict
from app.privacy.subjects import Subject
from app.rights import repository
from app.rights.models import Erasure, HoldKind, RequestType
from app.tenancy.models import Membership, MembershipStatus
from app.tenancy.repository import memberships_of_account

PRECONDITIONS = (
    "normal_status",  # RGT-12
    "no_open_dispute",  # RGT-12: disputes and complaints, made or received
    "no_unfinished_course",  # RGT-13
    "no_restriction",  # RGT-12: a competent authority's restriction
    "no_outstanding_obligation",  # RGT-14: unsettled rights or obligations
)


class PreconditionsFailed(Conflict):
    type, title = "cancellation-preconditions", "The account cannot be cancelled yet"


async def _memberships(session: AsyncSession, subject: Subject) -> list[Membership]:
    """Every membership of the person in any school, disputed or ended ones included."""
    await set_account(session, subject.account.id)
    return [m for m, _ in await memberships_of_account(session, subject.account.id)]


async def failed_preconditions(session: AsyncSession, subject: Subject, today: date) -> list[str]:
    account = subject.account
    holds = {h.kind for h in await repository.live_holds(session, account.id)}
    open_requests = await repository.open_requests_of(session, account.id)
    memberships = await _memberships(session, subject)
    failed: set[str] = set()
    if account.status != "active" or HoldKind.SUSPENSION in holds:
        failed.add("normal_status")
    complaints = [r for r in open_requests if r.type == RequestType.COMPLAINT]
    if complaints or any(m.status == MembershipStatus.disputed for m in memberships):
        failed.add("no_open_dispute")
    for tenant_id in {m.tenant_id for m in memberships}:
        await set_tenant(session, tenant_id)
        if await repository.unfinished_courses(session, tenant_id, account.id, today):
            failed.add("no_unfinished_course")
    if HoldKind.AUTHORITY in holds:
        failed.add("no_restriction")
    others = [r for r in open_requests if r.type != RequestType.COMPLAINT]
    if HoldKind.OBLIGATION in holds or others:
        failed.add("no_outstanding_obligation")
    return [code for code in PRECONDITIONS if code in failed]


async def check(session: AsyncSession, subject: Subject, today: date) -> None:
    failed = await failed_preconditions(session, subject, today)
    if failed:
        raise PreconditionsFailed(
            "cancellation needs every precondition to hold: " + ", ".join(failed), failed=failed
        )


async def end_memberships(session: AsyncSession, subject: Subject) -> dict[uuid.UUID, list[str]]:
    """School -> the roles that ended there; the school's records stay its own (TPS-8)."""
    ended: dict[uuid.UUID, list[str]] = {}
    now = clock.now()
    for membership in await _memberships(session, subject):
        await set_tenant(session, membership.tenant_id)
        if membership.status != MembershipStatus.inactive:
            ended.setdefault(membership.tenant_id, []).append(membership.role)
        membership.status = MembershipStatus.inactive
        membership.status_reason = "account cancelled by the person (RGT-15)"
        membership.display_name = None
        membership.oneroster = None  # what a roster file said of them: email, username, ...
        membership.updated_at = now
        await session.flush()  # row-level security checks each school's rows in its own
    return ended


async def erase_account(session: AsyncSession, subject: Subject, erasure: Erasure) -> None:
    """Irreversible: sign-in ends, the number is freed, the identifiers are gone (RET-8)."""
    account = subject.account
    now = clock.now()
    await repository.revoke_refresh_tokens(session, account.id, now)
    account.status = "cancelled"
    account.phone_hash = f"cancelled:{account.id.hex}"  # the number may register again
    account.phone_enc = ""
    account.phone_masked = "cancelled"
    account.password_hash = None
    account.display_name = None if erasure == Erasure.DELETE else f"anonymised-{account.id.hex[:8]}"
    await session.flush()
