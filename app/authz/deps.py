"""FastAPI dependencies of authz: the decision for a route (`Authorize`) and API-key callers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import bearer
from app.authz import apikeys, repository
from app.authz.access import Access, ApiKeyCaller
from app.authz.decision import PurposeRefused, decide
from app.authz.models import SupportGrant
from app.core import clock
from app.core.deps import SessionDep
from app.core.errors import Unauthorized
from app.core.vocabulary import Action, Purpose, RecordKind, Scope
from app.tenancy.deps import Member, MemberDep

__all__ = ["ApiKeyClient", "Authorize", "PurposeQuery", "PurposeRefused", "authorize"]

PurposeQuery = Annotated[
    str | None,
    Query(description="purpose of this read, from the published notice (policies/purposes.toml)"),
]


async def staff_grants(session: AsyncSession, member: Member) -> Sequence[SupportGrant]:
    """The live support grants a caller who is not a member may act through (AUZ-8)."""
    if member.roles or not member.account.is_staff:
        return ()
    return await repository.live_grants_of_staff(
        session, member.tenant.id, member.account.id, clock.now()
    )


class Authorize:
    """`Depends(Authorize(RecordKind.MEMBER, Action.LIST, purpose=Purpose.TEACHING_MANAGEMENT))`.

    A string is checked against the vocabulary when the route is declared.
    """

    def __init__(
        self,
        record_kind: str,
        action: str,
        *,
        purpose: str,
        within: frozenset[Scope] | None = None,
    ) -> None:
        self.record_kind = RecordKind(record_kind)
        self.action = Action(action)
        self.purpose = Purpose(purpose)
        self.within = within

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        member: MemberDep,
        purpose: PurposeQuery = None,
    ) -> Access:
        return decide(
            member,
            self.record_kind,
            self.action,
            self.purpose,
            asked=purpose,
            within=self.within,
            grants=await staff_grants(session, member),
            request_id=getattr(request.state, "request_id", None),
        )


def authorize(record_kind: str, action: str, *, purpose: str) -> object:
    return Depends(Authorize(record_kind, action, purpose=purpose))


async def api_key_client(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKeyCaller:
    """The ingestion client a bearer API key names (401 when missing, wrong or revoked)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("an API key is required: Authorization: Bearer rk_...")
    caller = await apikeys.authenticate(session, credentials.credentials)
    if caller is None:
        raise Unauthorized("the API key is wrong or revoked")
    request.state.api_key_id = caller.key_id
    return caller


ApiKeyClient = Annotated[ApiKeyCaller, Depends(api_key_client)]
