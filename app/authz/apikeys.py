"""Ingestion API keys of a school: created by its admins, shown once, stored hashed, revocable.

A key reads `rk_<school id hex>_<secret>`: the school comes from the key itself, so a key
is checked with one indexed lookup inside that school's transaction (row-level security).
Rules only: no HTTP, never commits. The table (`ApiKey`) stays in accounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey
from app.authz import repository
from app.authz.access import ApiKeyCaller
from app.core import clock
from app.core.db import set_tenant
from app.core.errors import NotFound
from app.core.ids import parse_id
from app.core.security import random_token, sha256_hex
from app.tenancy import repository as tenancy_repository

KEY_PREFIX = "rk_"
# last_used_at is refreshed at most this often: a row lock per batch would serialise ingestion.
LAST_USED_GRANULARITY = timedelta(seconds=60)


def make_key(tenant_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{tenant_id.hex}_{random_token(32)}"


def tenant_of_key(key: str) -> uuid.UUID | None:
    if not key.startswith(KEY_PREFIX):
        return None
    tenant_hex, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or not secret or len(tenant_hex) != 32:
        return None
    return parse_id(tenant_hex)


async def create_key(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, created_by: uuid.UUID | None
) -> tuple[ApiKey, str]:
    """A new key of the school; the plaintext is returned here and never again."""
    plaintext = make_key(tenant_id)
    key = ApiKey(
        tenant_id=tenant_id,
        name=name,
        prefix=plaintext[:16],
        key_hash=sha256_hex(plaintext),
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    return key, plaintext


async def list_keys(
    session: AsyncSession, tenant_id: uuid.UUID, *, after: uuid.UUID | None, fetch: int
) -> Sequence[ApiKey]:
    return await repository.api_keys_page(session, tenant_id, after=after, fetch=fetch)


async def revoke_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await repository.api_key_by_id(session, tenant_id, key_id)
    if key is None:
        raise NotFound("no such API key")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


async def authenticate(session: AsyncSession, plaintext: str) -> ApiKeyCaller | None:
    """The live key's caller (key and school), or None; also notes when it was last used."""
    tenant_id = tenant_of_key(plaintext)
    if tenant_id is None:
        return None
    await set_tenant(session, tenant_id)
    key = await repository.live_api_key(session, tenant_id, sha256_hex(plaintext))
    if key is None:
        return None
    tenant = await tenancy_repository.tenant_by_id(session, tenant_id)
    if tenant is None:
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        await repository.touch_api_key(session, tenant_id, key.id, now)
    return ApiKeyCaller(key_id=key.id, tenant=tenant)
