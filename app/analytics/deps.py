"""Analytics decisions: a view is a `list`, its CSV download an `export` of the same records."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz.access import Access
from app.authz.deps import Authorize, PurposeQuery
from app.core.deps import SessionDep
from app.core.errors import Forbidden
from app.core.vocabulary import Action, Purpose, RecordKind
from app.tenancy.deps import Member, MemberDep

Format = Literal["json", "csv"]
FormatQuery = Annotated[
    Format, Query(alias="format", description="json (default) or csv (UTF-8 with BOM)")
]


class ViewOrExport:
    """`Depends(ViewOrExport(RecordKind.ROLLUP, Purpose.TEACHING_MANAGEMENT))`."""

    def __init__(self, record_kind: RecordKind, purpose: Purpose) -> None:
        self.record_kind = record_kind
        self.purpose = purpose

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        member: MemberDep,
        purpose: PurposeQuery = None,
        output: FormatQuery = "json",
    ) -> Access:
        action = Action.EXPORT if output == "csv" else Action.LIST
        decide = Authorize(self.record_kind, action, purpose=self.purpose)
        return await decide(request=request, session=session, member=member, purpose=purpose)


async def accesses_for(
    request: Request,
    session: AsyncSession,
    member: Member,
    kinds: tuple[RecordKind, ...],
    purpose: Purpose,
) -> list[Access]:
    """One decision per record kind; kinds the role may not read drop out (403 if all do)."""
    found: list[Access] = []
    for kind in kinds:
        try:
            decide = Authorize(kind, Action.LIST, purpose=purpose)
            found.append(await decide(request=request, session=session, member=member))
        except Forbidden:
            continue
    if not found:
        raise Forbidden(f"your role may not list {', '.join(kinds)} records")
    return found
