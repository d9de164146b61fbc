"""Seeding helpers for tests: write through the owner connection, as `tenants apply` does."""

from __future__ import annotations

import uuid
from typing import Any

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.core.context import ServiceContext
from app.core.db import set_tenant
from app.core.phones import normalize
from app.tenancy.models import Membership, MembershipStatus


async def add_member(
    owner: ServiceContext,
    tenant: Any,
    phone: str,
    role: str,
    name: str | None = None,
    status: str = MembershipStatus.active,
) -> tuple[Account, Membership]:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        account, _ = await get_or_create_account(session, owner.keys, normalize(phone), name)
        membership = Membership(
            tenant_id=tenant.id, account_id=account.id, role=role, status=status, display_name=name
        )
        session.add(membership)
        await session.flush()
        return account, membership


def uid() -> str:
    return str(uuid.uuid4())
