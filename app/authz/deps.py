"""One decision path: roles in the school -> Casbin scopes -> purpose check -> Access."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.authz.access import Access
from app.core.deps import SessionDep
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.policy import get_policy
from app.tenancy.deps import Member, MemberDep
from app.tenancy.models import Tenant


class PurposeRefused(DomainError):
    status, type, title = 403, "purpose-refused", "The purpose does not cover this record kind"


PurposeQuery = Annotated[
    str | None,
    Query(description="purpose of this read, from the published notice (policies/purposes.toml)"),
]


class Authorize:
    """`Depends(Authorize("member", "list", purpose="teaching_management"))` in a route."""

    def __init__(self, record_kind: str, action: str, *, purpose: str) -> None:
        self.record_kind = record_kind
        self.action = action
        self.purpose = purpose

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        member: MemberDep,
        purpose: PurposeQuery = None,
    ) -> Access:
        policy = get_policy()
        if not member.roles:
            grant_access = await _staff_grant(
                request, session, member, self.record_kind, self.action, purpose
            )
            if grant_access is None:
                # Not a member: the school is answered exactly like one that does not exist.
                raise NotFound("no such school")
            return grant_access
        scopes = policy.allowed_scopes(member.roles, self.record_kind, self.action, member.options)
        if not scopes:
            raise Forbidden(f"your role may not {self.action} {self.record_kind} records")
        chosen = purpose or self.purpose
        if not policy.purpose_covers(chosen, self.record_kind):
            raise PurposeRefused(
                f"purpose '{chosen}' does not cover {self.record_kind} records",
                field="purpose",
            )
        return Access(
            tenant=member.tenant,
            account=member.account,
            roles=member.roles,
            record_kind=self.record_kind,
            action=self.action,
            scopes=scopes,
            purpose=chosen,
            request_id=getattr(request.state, "request_id", None),
        )


class SupportGrantHook(Protocol):
    async def __call__(
        self,
        request: Request,
        session: AsyncSession,
        tenant: Tenant,
        account: Account,
        kind: str,
        action: str,
        purpose: str | None,
    ) -> Access | None: ...


async def _staff_grant(
    request: Request,
    session: AsyncSession,
    member: Member,
    kind: str,
    action: str,
    purpose: str | None,
) -> Access | None:
    """Platform staff act only through a school's support grant (AUZ-8)."""
    hook: SupportGrantHook | None = getattr(request.app.state, "support_grant_hook", None)
    if hook is None:
        return None
    return await hook(request, session, member.tenant, member.account, kind, action, purpose)


def authorize(record_kind: str, action: str, *, purpose: str) -> object:
    return Depends(Authorize(record_kind, action, purpose=purpose))
