"""Analytics decisions: a view is a `list`, its CSV download an `export` of the same records."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.analytics.record import RecordAccess
from app.authz.access import Access
from app.authz.deps import Authorize, PurposeQuery
from app.core.db import set_account, set_tenant
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.vocabulary import Action, Purpose, RecordKind, Scope
from app.tenancy.deps import Member, MemberDep
from app.tenancy.models import Tenant
from app.tenancy.repository import memberships_of_account

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


async def school_of_record(session: AsyncSession, account: Account, slug: str | None) -> Tenant:
    """The school of the record: the one named, or the caller's only one; its RLS is set."""
    await set_account(session, account.id)
    schools = {t.slug: t for _, t in await memberships_of_account(session, account.id)}
    if slug is not None:
        if slug not in schools:
            raise NotFound("no such school")
        chosen = schools[slug]
    elif len(schools) == 1:
        chosen = next(iter(schools.values()))
    elif not schools:
        raise NotFound("no learning record: you are in no school")
    else:
        raise Invalid("school", f"you belong to several schools: one of {sorted(schools)}")
    await set_tenant(session, chosen.id)
    return chosen


async def record_decisions(
    request: Request, session: AsyncSession, member: Member, csv: bool
) -> RecordAccess:
    purpose = Purpose.LEARNING_RECORD

    async def maybe(kind: RecordKind) -> Access | None:
        try:
            decide = Authorize(kind, Action.LIST, purpose=purpose)
            return await decide(request=request, session=session, member=member)
        except Forbidden:
            return None

    action = Action.EXPORT if csv else Action.LIST
    rollup = await Authorize(RecordKind.ROLLUP, action, purpose=purpose)(
        request=request, session=session, member=member
    )
    behaviour = await maybe(RecordKind.BEHAVIOUR)
    seen = behaviour if behaviour and Scope.CLASS_VISIBLE in behaviour.scopes else None
    return RecordAccess(
        rollup=rollup, recording=await maybe(RecordKind.RECORDING), class_visible=seen
    )
