"""Ingestion API keys of a school: created by its admins, shown once, stored hashed, revocable.

A key reads `rk_<school id hex>_<secret>`: the school comes from the key itself, so a key
is checked with one indexed lookup inside that school's transaction (row-level security).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.deps import bearer
from app.accounts.models import ApiKey
from app.authz.access import Access
from app.authz.audit import record_access
from app.authz.deps import Authorize
from app.core import clock
from app.core.db import set_tenant
from app.core.deps import SessionDep
from app.core.errors import NotFound, Unauthorized
from app.core.ids import parse_id
from app.core.pagination import Page, PageParams, encode_cursor, page_params
from app.core.security import random_token, sha256_hex
from app.tenancy import repository as tenancy_repository
from app.tenancy.models import Tenant

KEY_PREFIX = "rk_"
# last_used_at is refreshed at most this often: a row lock per batch would serialise ingestion.
LAST_USED_GRANULARITY = timedelta(seconds=60)


# --- service ------------------------------------------------------------------------------


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
    session: AsyncSession, tenant_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[ApiKey]:
    query = (
        select(ApiKey)
        .where(col(ApiKey.tenant_id) == tenant_id)
        .order_by(col(ApiKey.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(col(ApiKey.id) > after)
    return list((await session.execute(query)).scalars())


async def revoke_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await session.get(ApiKey, (tenant_id, key_id))
    if key is None:
        raise NotFound("no such API key")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


async def authenticate(session: AsyncSession, plaintext: str) -> tuple[ApiKey, Tenant] | None:
    """The live key and its school, or None; also notes when the key was last used."""
    tenant_id = tenant_of_key(plaintext)
    if tenant_id is None:
        return None
    await set_tenant(session, tenant_id)
    result = await session.execute(
        select(ApiKey).where(
            col(ApiKey.tenant_id) == tenant_id,
            col(ApiKey.key_hash) == sha256_hex(plaintext),
            col(ApiKey.revoked_at).is_(None),
        )
    )
    key = result.scalar_one_or_none()
    if key is None:
        return None
    tenant = await tenancy_repository.tenant_by_id(session, tenant_id)
    if tenant is None:
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
        await session.execute(
            update(ApiKey)
            .where(col(ApiKey.tenant_id) == tenant_id, col(ApiKey.id) == key.id)
            .values(last_used_at=now)
        )
    return key, tenant


# --- HTTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKeyCaller:
    """An ingestion client: writes into its own school, reads nothing."""

    key_id: uuid.UUID
    tenant: Tenant

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id


async def api_key_client(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKeyCaller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("an API key is required: Authorization: Bearer rk_...")
    found = await authenticate(session, credentials.credentials)
    if found is None:
        raise Unauthorized("the API key is wrong or revoked")
    key, tenant = found
    request.state.api_key_id = key.id
    return ApiKeyCaller(key_id=key.id, tenant=tenant)


ApiKeyClient = Annotated[ApiKeyCaller, Depends(api_key_client)]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyCreated(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    prefix: str
    created_at: datetime


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


router = APIRouter(tags=["api keys"])
KeysPath = "/v1/tenants/{slug}/api-keys"


@router.post(KeysPath, status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    body: ApiKeyCreate,
    session: SessionDep,
    access: Annotated[Access, Depends(Authorize("api_key", "create", purpose="security"))],
) -> ApiKeyCreated:
    key, plaintext = await create_key(session, access.tenant_id, body.name, access.account_id)
    await record_access(session, access, detail={"api_key_id": str(key.id), "name": key.name})
    return ApiKeyCreated(
        id=key.id, key=plaintext, name=key.name, prefix=key.prefix, created_at=key.created_at
    )


@router.get(KeysPath, response_model=Page[ApiKeyOut])
async def list_api_keys(
    session: SessionDep,
    access: Annotated[Access, Depends(Authorize("api_key", "list", purpose="security"))],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[ApiKeyOut]:
    after = parse_id(str(page.cursor[0])) if page.cursor else None
    keys = await list_keys(session, access.tenant_id, after=after, limit=page.limit + 1)
    more = len(keys) > page.limit
    keys = keys[: page.limit]
    await record_access(session, access)
    return Page(
        items=[_out(k) for k in keys],
        next_cursor=encode_cursor([str(keys[-1].id)]) if more else None,
    )


@router.delete(KeysPath + "/{key_id}", status_code=204)
async def revoke_api_key(
    key_id: str,
    session: SessionDep,
    access: Annotated[Access, Depends(Authorize("api_key", "delete", purpose="security"))],
) -> Response:
    parsed = parse_id(key_id)
    if parsed is None:
        raise NotFound("no such API key")
    await revoke_key(session, access.tenant_id, parsed)
    await record_access(session, access, detail={"api_key_id": str(parsed)})
    return Response(status_code=204)
