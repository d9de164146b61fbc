"""The outcome of authorising a request: who, in which school, within which scopes, why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.accounts.models import Account
from app.core.vocabulary import ActorKind, Scope
from app.tenancy.models import Tenant


@dataclass(frozen=True)
class Access:
    tenant: Tenant
    account: Account
    roles: frozenset[str]
    record_kind: str
    action: str
    scopes: frozenset[str]
    purpose: str
    actor_kind: str = ActorKind.MEMBER
    grant_id: uuid.UUID | None = None
    request_id: str | None = None

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id

    @property
    def account_id(self) -> uuid.UUID:
        return self.account.id

    @property
    def whole_school(self) -> bool:
        return Scope.TENANT in self.scopes


@dataclass(frozen=True)
class ApiKeyCaller:
    """An ingestion client: writes into its own school, reads nothing."""

    key_id: uuid.UUID
    tenant: Tenant

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id
