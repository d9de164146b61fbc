"""A person withdraws or restores one consent category in a school (camera, microphone, ...).

Ingestion consults the open withdrawals and drops the events of that category (CLS-2/3/5,
CLS-18/19): withdrawing blocks only what needs the consent, nothing else (CLS-7).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.authz.audit import record
from app.core import clock
from app.core.deps import RequestIdDep, SessionDep
from app.core.errors import NotFound
from app.privacy.models import ConsentWithdrawal
from app.tenancy.deps import Member, MemberDep


class ConsentCategory(StrEnum):
    camera = "camera"
    microphone = "microphone"
    recording = "recording"
    diagnostics = "diagnostics"


# --- queries and rules -----------------------------------------------------------------


async def open_withdrawals(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> dict[str, ConsentWithdrawal]:
    result = await session.execute(
        select(ConsentWithdrawal).where(
            col(ConsentWithdrawal.tenant_id) == tenant_id,
            col(ConsentWithdrawal.account_id) == account_id,
            col(ConsentWithdrawal.restored_at).is_(None),
        )
    )
    return {w.category: w for w in result.scalars()}


async def withdraw(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, category: str
) -> ConsentWithdrawal:
    """Idempotent: an open withdrawal of the category is kept as it is."""
    current = (await open_withdrawals(session, tenant_id, account_id)).get(category)
    if current is not None:
        return current
    row = ConsentWithdrawal(
        tenant_id=tenant_id, account_id=account_id, category=category, withdrawn_at=clock.now()
    )
    session.add(row)
    await session.flush()
    return row


async def restore(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, category: str
) -> None:
    current = (await open_withdrawals(session, tenant_id, account_id)).get(category)
    if current is not None:
        current.restored_at = clock.now()
        await session.flush()


# --- HTTP ------------------------------------------------------------------------------


class ConsentState(BaseModel):
    category: str
    withdrawn: bool
    withdrawn_at: datetime | None = None


router = APIRouter(tags=["consent"])
BASE = "/v1/tenants/{slug}/me/consent"
CategoryPath = Annotated[
    ConsentCategory, Path(description="camera | microphone | recording | diagnostics")
]


def _in_school(member: Member) -> Member:
    if not member.roles:
        raise NotFound("no such school")  # not a member: the school is not there for them
    return member


async def _audit(
    session: AsyncSession, member: Member, action: str, category: str, request_id: str
) -> None:
    await record(
        session,
        tenant_id=member.tenant.id,
        actor_id=member.account.id,
        actor_kind="member",
        record_kind="consent",
        action=action,
        purpose="rights_handling",
        subjects=[member.account.id],
        request_id=request_id or None,
        detail={"category": category},
    )


@router.get(BASE, response_model=list[ConsentState])
async def my_consent(member: MemberDep, session: SessionDep) -> list[ConsentState]:
    _in_school(member)
    open_ = await open_withdrawals(session, member.tenant.id, member.account.id)
    return [
        ConsentState(
            category=c.value,
            withdrawn=c.value in open_,
            withdrawn_at=open_[c.value].withdrawn_at if c.value in open_ else None,
        )
        for c in ConsentCategory
    ]


@router.post(BASE + "/{category}/withdraw", response_model=ConsentState)
async def withdraw_consent(
    category: CategoryPath, member: MemberDep, session: SessionDep, request_id: RequestIdDep
) -> ConsentState:
    _in_school(member)
    row = await withdraw(session, member.tenant.id, member.account.id, category.value)
    await _audit(session, member, "withdraw", category.value, request_id)
    return ConsentState(category=category.value, withdrawn=True, withdrawn_at=row.withdrawn_at)


@router.post(BASE + "/{category}/restore", response_model=ConsentState)
async def restore_consent(
    category: CategoryPath, member: MemberDep, session: SessionDep, request_id: RequestIdDep
) -> ConsentState:
    _in_school(member)
    await restore(session, member.tenant.id, member.account.id, category.value)
    await _audit(session, member, "restore", category.value, request_id)
    return ConsentState(category=category.value, withdrawn=False)
