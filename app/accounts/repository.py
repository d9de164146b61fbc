"""Queries on accounts and login state (platform tables: not tenant-owned)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import Account, OtpCode, RefreshToken, SmsMessage, SmsSend
from app.core.db import (
    PHONE_LOOKUP_CHUNK,
    set_account,
    set_phone_lookup,
    set_phone_lookups,
    set_refresh_lookup,
    set_tenant,
    value_chunks,
    where_in,
)


async def account_by_phone_hash(session: AsyncSession, phone_hash: str) -> Account | None:
    await set_phone_lookup(session, phone_hash)
    result = await session.execute(select(Account).where(col(Account.phone_hash) == phone_hash))
    return result.scalar_one_or_none()


async def accounts_by_phone_hashes(
    session: AsyncSession, phone_hashes: list[str]
) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for chunk in value_chunks(session, phone_hashes, PHONE_LOOKUP_CHUNK):
        await set_phone_lookups(session, chunk)
        query = where_in(session, select(Account), col(Account.phone_hash), chunk, String())
        found.update({a.phone_hash: a for a in (await session.execute(query)).scalars()})
    return found


async def account_ids_by_phone_hashes(
    session: AsyncSession, phone_hashes: Iterable[str]
) -> dict[str, uuid.UUID]:
    """Keyed phone hash -> account id, for the numbers that have an account."""
    found: dict[str, uuid.UUID] = {}
    for chunk in value_chunks(session, list(set(phone_hashes)), PHONE_LOOKUP_CHUNK):
        await set_phone_lookups(session, chunk)
        query = select(col(Account.phone_hash), col(Account.id))
        query = where_in(session, query, col(Account.phone_hash), chunk, String())
        found.update({h: i for h, i in (await session.execute(query)).all()})
    return found


async def account_by_id(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    """The signed-in person's account: names them as `app.account_id` first (PostgreSQL)."""
    await set_account(session, account_id)
    return await session.get(Account, account_id)


async def add_account(session: AsyncSession, account: Account) -> None:
    """A new account, written with its lookup key named (row-level security's WITH CHECK)."""
    await set_phone_lookup(session, account.phone_hash)
    session.add(account)
    await session.flush()


async def account_in_school(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> Account | None:
    """Someone else's account, seen through the school that holds their membership."""
    await set_tenant(session, tenant_id)
    return await session.get(Account, account_id)


async def latest_code(session: AsyncSession, phone_hash: str) -> OtpCode | None:
    await set_phone_lookup(session, phone_hash)
    result = await session.execute(
        select(OtpCode)
        .where(col(OtpCode.phone_hash) == phone_hash)
        .order_by(col(OtpCode.created_at).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def codes_since(session: AsyncSession, phone_hash: str, since: datetime) -> int:
    await set_phone_lookup(session, phone_hash)
    result = await session.execute(
        select(func.count())
        .select_from(OtpCode)
        .where(col(OtpCode.phone_hash) == phone_hash, col(OtpCode.created_at) >= since)
    )
    return int(result.scalar_one())


async def oldest_code_since(
    session: AsyncSession, phone_hash: str, since: datetime
) -> datetime | None:
    await set_phone_lookup(session, phone_hash)
    result = await session.execute(
        select(col(OtpCode.created_at))
        .where(col(OtpCode.phone_hash) == phone_hash, col(OtpCode.created_at) >= since)
        .order_by(col(OtpCode.created_at))
        .limit(1)
    )
    return result.scalar_one_or_none()


async def count_code_try(
    session: AsyncSession, code_id: uuid.UUID, max_attempts: int, now: datetime
) -> bool:
    """Counts one try of a live code if it has tries left: one conditional UPDATE.

    Two tries at once in two processes cannot both take the last one: on PostgreSQL the
    second waits for the first's row lock, then finds the count already raised.
    """
    result = await session.execute(
        update(OtpCode)
        .where(
            col(OtpCode.id) == code_id,
            col(OtpCode.attempts) < max_attempts,
            col(OtpCode.consumed_at).is_(None),
            col(OtpCode.expires_at) > now,
        )
        .values(attempts=col(OtpCode.attempts) + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def consume_code(session: AsyncSession, code_id: uuid.UUID, now: datetime) -> bool:
    """Marks the code used if nobody has: a right code signs in once, however many ask."""
    result = await session.execute(
        update(OtpCode)
        .where(col(OtpCode.id) == code_id, col(OtpCode.consumed_at).is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    await set_refresh_lookup(session, token_hash)
    result = await session.execute(
        select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)
    )
    return result.scalar_one_or_none()


async def claim_refresh_token(session: AsyncSession, token_id: uuid.UUID, at: datetime) -> bool:
    """Marks the token used if nobody has: one conditional UPDATE, so only one caller wins.

    On PostgreSQL a concurrent claim waits for the row lock, then finds `used_at` set.
    """
    result = await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.id) == token_id,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def revoke_family(
    session: AsyncSession, account_id: uuid.UUID, family_id: uuid.UUID, at: datetime
) -> None:
    await set_account(session, account_id)
    await session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.account_id) == account_id,
            col(RefreshToken.family_id) == family_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=at)
    )


async def outbox_for(session: AsyncSession, phone_hash: str) -> list[SmsMessage]:
    await set_phone_lookup(session, phone_hash)
    result = await session.execute(
        select(SmsMessage)
        .where(col(SmsMessage.phone_hash) == phone_hash)
        .order_by(col(SmsMessage.sent_at))
    )
    return list(result.scalars())


async def sms_sends_since(
    session: AsyncSession,
    since: datetime,
    *,
    ip_hash: str | None = None,
    delivered: bool | None = None,
) -> tuple[int, datetime | None]:
    """How many code requests since `since` (from one IP, or delivered ones), and the oldest."""
    query = select(func.count(), func.min(col(SmsSend.at))).where(col(SmsSend.at) >= since)
    if ip_hash is not None:
        query = query.where(col(SmsSend.ip_hash) == ip_hash)
    if delivered is not None:
        query = query.where(col(SmsSend.delivered).is_(delivered))
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest


async def prune_sms_sends(session: AsyncSession, before: datetime, batch: int = 200) -> None:
    """Deletes counted requests older than the window, skipping rows another request holds,
    so concurrent code requests never wait on each other's transactions (PostgreSQL)."""
    stale = (
        select(col(SmsSend.id))
        .where(col(SmsSend.at) < before)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        delete(SmsSend)
        .where(col(SmsSend.id).in_(stale.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
