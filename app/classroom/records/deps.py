"""The decisions of an events list: one per record kind the purpose returns."""

from __future__ import annotations

from fastapi import Request

from app.authz.access import Access
from app.authz.deps import Authorize, PurposeRefused
from app.classroom.records.service import event_kinds
from app.core.deps import SessionDep
from app.core.errors import Forbidden
from app.core.vocabulary import Action
from app.tenancy.deps import MemberDep


async def event_accesses(
    request: Request, session: SessionDep, member: MemberDep, purpose: str, kind: str | None
) -> list[Access]:
    """One decision per record kind the purpose returns; kinds the role may not read drop out."""
    kinds = event_kinds(purpose, kind)
    if isinstance(kinds, str):
        raise PurposeRefused(kinds, field="purpose")
    accesses: list[Access] = []
    for record_kind in kinds:
        try:
            decide = Authorize(record_kind, Action.LIST, purpose=purpose)
            decided = await decide(request=request, session=session, member=member, purpose=purpose)
            accesses.append(decided)
        except Forbidden:
            continue
    if not accesses:
        raise Forbidden(f"your role may not list {', '.join(kinds)} records")
    return accesses
