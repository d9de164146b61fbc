"""SEC-14: a school admin's compromise report is told to the school's other admins by SMS."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account, SecurityReport
from app.accounts.service import phone_of
from app.accounts.sms import SmsSender
from app.core.db import set_account, set_tenant
from app.core.security import Keys
from app.core.vocabulary import Role
from app.tenancy import repository
from app.tenancy.models import Membership, Tenant


async def _live_admins(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Account]:
    result = await session.execute(
        select(Account)
        .join(Membership, col(Membership.account_id) == col(Account.id))
        .where(
            col(Membership.tenant_id) == tenant_id,
            col(Membership.role) == Role.SCHOOL_ADMIN,
            col(Membership.status).in_(repository.LIVE_STATUSES),
            col(Account.status) == "active",
        )
        .order_by(col(Account.id))
    )
    return result.scalars().all()


async def _schools_administered(session: AsyncSession, account: Account) -> list[Tenant]:
    await set_account(session, account.id)
    rows = await repository.memberships_of_account(session, account.id)
    return [
        t for m, t in rows if m.role == Role.SCHOOL_ADMIN and m.status in repository.LIVE_STATUSES
    ]


async def tell_school_admins(
    session: AsyncSession, keys: Keys, sender: SmsSender, account: Account, report: SecurityReport
) -> int:
    """How many admins were sent an SMS (through the configured sender: outbox or gateway)."""
    told = 0
    who = account.display_name or account.phone_masked
    for school in await _schools_administered(session, account):
        await set_tenant(session, school.id)
        for admin in await _live_admins(session, school.id):
            if admin.id == account.id:
                continue
            body = (
                f"[Rostra] {who}, a school admin of {school.name}, reported their account as "
                "possibly compromised. Their sessions were ended; review recent admin actions."
            )
            await sender.send(session, phone_of(keys, admin), body, None)
            told += 1
    await set_tenant(session, None)
    report.admins_told = told
    return told
