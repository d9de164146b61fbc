"""Registering a school's OneRoster clients and checking their tokens. Rules only, no commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.db import set_tenant
from app.core.errors import Invalid, NotFound
from app.core.ids import parse_id
from app.core.security import random_token, sha256_hex
from app.core.vocabulary import Purpose
from app.oneroster import repository
from app.oneroster.models import OneRosterClient
from app.oneroster.scopes import parse_scope
from app.oneroster.tokens import RosterTokens
from app.tenancy import repository as tenancy_repository
from app.tenancy.models import Tenant

CLIENT_PREFIX = "orc_"


@dataclass(frozen=True)
class RosterCaller:
    """A OneRoster client with a valid token: reads its own school, within its scopes."""

    client: OneRosterClient
    tenant: Tenant
    scopes: frozenset[str]
    request_id: str | None = None

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id


def checked_scopes(values: list[str]) -> list[str]:
    scopes: list[str] = []
    for value in values:
        full = parse_scope(value)
        if full is None:
            raise Invalid("scopes", f"unknown OneRoster scope {value!r}")
        if full not in scopes:
            scopes.append(full)
    if not scopes:
        raise Invalid("scopes", "at least one scope is required")
    return scopes


def checked_purpose(value: str) -> str:
    try:
        return Purpose(value).value
    except ValueError:
        raise Invalid("purpose", f"not a published purpose: {value!r}") from None


def tenant_of_client_id(client_id: str) -> uuid.UUID | None:
    if not client_id.startswith(CLIENT_PREFIX):
        return None
    tenant_hex, sep, rest = client_id[len(CLIENT_PREFIX) :].partition("_")
    return parse_id(tenant_hex) if sep and rest and len(tenant_hex) == 32 else None


async def create_client(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    name: str,
    scopes: list[str],
    purpose: str,
    created_by: uuid.UUID | None,
) -> tuple[OneRosterClient, str]:
    """A new client of the school; the secret is returned here and never again."""
    secret = random_token(32)
    client = OneRosterClient(
        tenant_id=tenant_id,
        name=name,
        client_id=f"{CLIENT_PREFIX}{tenant_id.hex}_{random_token(12)}",
        secret_hash=sha256_hex(secret),
        scopes=checked_scopes(scopes),
        purpose=checked_purpose(purpose),
        created_by=created_by,
    )
    session.add(client)
    await session.flush()
    return client, secret


async def list_clients(
    session: AsyncSession, tenant_id: uuid.UUID, *, after: uuid.UUID | None, fetch: int
) -> Sequence[OneRosterClient]:
    return await repository.clients_page(session, tenant_id, after=after, fetch=fetch)


async def revoke_client(
    session: AsyncSession, tenant_id: uuid.UUID, client_row_id: str
) -> OneRosterClient:
    """Revoked at once: its tokens stop working on their next request (a retry is a no-op);
    404 for a client of another school or none."""
    parsed = parse_id(client_row_id)
    client = await repository.client_by_id(session, tenant_id, parsed) if parsed else None
    if client is None:
        raise NotFound("no such OneRoster client")
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        await session.flush()
    return client


async def client_for_token_request(
    session: AsyncSession, client_id: str | None
) -> OneRosterClient | None:
    """The client a token request names (its school's setting made first), or None."""
    tenant_id = tenant_of_client_id(client_id) if client_id else None
    if client_id is None or tenant_id is None:
        return None
    await set_tenant(session, tenant_id)
    return await repository.client_by_client_id(session, tenant_id, client_id)


async def caller_of_token(
    session: AsyncSession, tokens: RosterTokens, token: str, request_id: str | None
) -> RosterCaller | None:
    claims = tokens.verify(token, clock.now())
    if claims is None:
        return None
    await set_tenant(session, claims.tenant_id)
    client = await repository.live_client(session, claims.tenant_id, claims.client_row_id)
    tenant = await tenancy_repository.tenant_by_id(session, claims.tenant_id)
    if client is None or tenant is None:
        return None
    return RosterCaller(client, tenant, claims.scopes & frozenset(client.scopes), request_id)


def created_detail(client: OneRosterClient, via: str) -> dict[str, Any]:
    return {**client.detail(), "scopes": client.scopes, "purpose": client.purpose, "via": via}
