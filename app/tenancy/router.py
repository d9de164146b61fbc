"""The school's roster of people (read side) and the caller's own account (`/v1/me`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.accounts.deps import CurrentAccount
from app.accounts.service import phone_of
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core.db import set_account
from app.core.deps import ContextDep, SessionDep
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.core.vocabulary import Role
from app.roster.scopes import person_predicate
from app.tenancy import repository
from app.tenancy.models import Membership
from app.tenancy.schemas import MemberOut, MembershipOut, MeOut

router = APIRouter(tags=["members"])

MemberListAccess = Annotated[
    Access, Depends(Authorize("member", "list", purpose="teaching_management"))
]


@router.get("/v1/tenants/{slug}/members", response_model=Page[MemberOut])
async def list_members(
    access: MemberListAccess,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    role: Annotated[Role | None, Query(description="only this role")] = None,
) -> Page[MemberOut]:
    after = page.after_id()
    rows = await repository.list_members(
        session,
        access.tenant_id,
        person_predicate(access, Membership.account_id),
        role=role.value if role else None,
        after=after,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    await record_access(session, access, (a.id for _, a in rows))
    items = [
        MemberOut(
            id=m.id,
            account_id=a.id,
            role=m.role,
            status=m.status,
            display_name=m.display_name or a.display_name,
            phone_masked=a.phone_masked,
            age_band=m.age_band,
            created_at=m.created_at,
        )
        for m, a in rows
    ]
    return Page(items=items, next_cursor=encode_cursor([str(rows[-1][0].id)]) if more else None)


@router.get("/v1/me", response_model=MeOut, tags=["me"])
async def me(account: CurrentAccount, ctx: ContextDep, session: SessionDep) -> MeOut:
    await set_account(session, account.id)
    rows = await repository.memberships_of_account(session, account.id)
    return MeOut(
        id=account.id,
        phone=phone_of(ctx.keys, account),
        phone_masked=account.phone_masked,
        display_name=account.display_name,
        memberships=[
            MembershipOut(
                id=m.id,
                school=t.slug,
                school_name=t.name,
                role=m.role,
                status=m.status,
                registered_at=m.created_at,
                registered_by_school=m.registered_by is not None,
                confirmed_at=m.confirmed_at,
            )
            for m, t in rows
        ],
    )
