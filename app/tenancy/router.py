"""The caller's own account across schools (`/v1/me`); the roster of people is in roster."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount
from app.accounts.service import phone_of
from app.core.db import set_account
from app.core.deps import ContextDep, SessionDep
from app.tenancy import repository
from app.tenancy.schemas import MembershipOut, MeOut

router = APIRouter(tags=["members"])


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
