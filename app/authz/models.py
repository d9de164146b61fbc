"""The audit log: every personal-data read and every change, chained per school."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field
from app.tenancy.models import TenantScopedFK


class AuditEntry(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()  # UUIDv7: time-ordered, the sealer's order
    at: datetime = utc_field(default_now=True)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_kind: str = Field(max_length=16)  # member | platform_staff | api_key | system
    grant_id: uuid.UUID | None = Field(default=None)
    record_kind: str = Field(max_length=32)
    action: str = Field(max_length=16)
    purpose: str | None = Field(default=None, max_length=32)
    subject_count: int = Field(default=0)
    request_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Filled by the sealer, shortly after the request: position and hash chain.
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)

    __table_args__ = (
        Index("ix_auditentry_tenant_seq", "tenant_id", "seq"),
        Index("ix_auditentry_tenant_at", "tenant_id", "at"),
    )


class AuditSubject(SQLModel, table=True):
    """Whose data an entry is about: lets every person read the entries about themselves."""

    tenant_id: uuid.UUID = tenant_field()
    entry_id: uuid.UUID = Field(primary_key=True)
    account_id: uuid.UUID = Field(primary_key=True)

    __table_args__ = (
        TenantScopedFK.to("auditentry", "entry_id"),
        Index("ix_auditsubject_account", "tenant_id", "account_id", "entry_id"),
    )
