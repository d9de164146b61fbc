"""The decisions of an events list: one per record kind the purpose returns."""

from __future__ import annotations

from fastapi import Request

from app.authz.access import Access
from app.authz.decision import decide
from app.authz.deps import PurposeRefused, staff_grants
from app.classroom.records.service import event_kinds
from app.core.deps import SessionDep
from app.core.errors import Forbidden
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy.deps import MemberDep


async def event_accesses(
    request: Request, session: SessionDep, member: MemberDep, purpose: str, kind: str | None
) -> list[Access]:
    """One decision per record kind the purpose returns; kinds the role may not read drop out.

    The caller's support grants are read once, then `decide()` runs per kind (AUZ-1, AUZ-8).
    """
    kinds = event_kinds(purpose, kind)
    if isinstance(kinds, str):
        raise PurposeRefused(kinds, field="purpose")
    grants = await staff_grants(session, member)
    request_id = getattr(request.state, "request_id", None)
    accesses: list[Access] = []
    for record_kind in kinds:
        try:
            accesses.append(
                decide(
                    member,
                    RecordKind(record_kind),
                    Action.LIST,
                    Purpose(purpose),
                    asked=purpose,
                    grants=grants,
                    request_id=request_id,
                )
            )
        except Forbidden:
            continue
    if not accesses:
        raise Forbidden(f"your role may not list {', '.join(kinds)} records")
    return accesses
