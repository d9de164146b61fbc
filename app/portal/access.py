"""The caller inside a school, decided exactly as the API's `Authorize` decides it."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.authz.access import Access
from app.authz.decision import decide
from app.authz.deps import staff_grants
from app.core.db import set_tenant
from app.core.errors import NotFound
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy import repository as tenancy_repository
from app.tenancy.deps import Member


async def member_in(session: AsyncSession, account: Account, slug: str) -> Member:
    """The signed-in person in the school `slug`; another school is a 404, like a missing one."""
    tenant = await tenancy_repository.tenant_by_slug(session, slug)
    if tenant is None:
        raise NotFound("no such school")
    await set_tenant(session, tenant.id)
    _account, roles = await tenancy_repository.account_and_roles(session, tenant.id, account.id)
    member = Member(tenant=tenant, account=account, roles=roles)
    if not roles and not account.is_staff:
        raise NotFound("no such school")
    return member


async def access_to(
    request: Request,
    session: AsyncSession,
    member: Member,
    kind: RecordKind,
    action: Action,
    purpose: Purpose,
) -> Access:
    """The same decision, scopes and purpose the API route for this read would take."""
    return decide(
        member,
        kind,
        action,
        purpose,
        grants=await staff_grants(session, member),
        request_id=getattr(request.state, "request_id", None),
    )
