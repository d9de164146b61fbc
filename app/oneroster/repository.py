"""Queries of the OneRoster clients: every call names the school."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.oneroster.models import OneRosterClient


async def client_by_client_id(
    session: AsyncSession, tenant_id: uuid.UUID, client_id: str
) -> OneRosterClient | None:
    query = select(OneRosterClient).where(
        col(OneRosterClient.tenant_id) == tenant_id, col(OneRosterClient.client_id) == client_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def live_client(
    session: AsyncSession, tenant_id: uuid.UUID, row_id: uuid.UUID
) -> OneRosterClient | None:
    client = await session.get(OneRosterClient, (tenant_id, row_id))
    if client is None or client.revoked_at is not None:
        return None
    return client
