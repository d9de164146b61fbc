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
        Index("ix_auditentry_tenant_seq", "tenant_id", "seq", unique=True),
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


class AuditChainHead(SQLModel, table=True):
    """The newest sealed entry of a school's chain; its row is the sealer's lock."""

    tenant_id: uuid.UUID = tenant_field()
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    hash: str = Field(default="", max_length=64)
    sealed_at: datetime | None = utc_field(nullable=True)
    # Where the chain starts once the retention sweep removed its oldest entries (0: genesis):
    # the last removed entry's seq and hash, signed with the checkpoint key.
    base_seq: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, default=0, server_default="0")
    )
    base_hash: str = Field(
        default="0" * 64, max_length=64, sa_column_kwargs={"server_default": "0" * 64}
    )
    base_signature: str | None = Field(default=None, max_length=64)


class SupportGrant(SQLModel, table=True):
    """A school's time-limited permission for one platform staff account to read (AUZ-8)."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    staff_account_id: uuid.UUID = Field(foreign_key="account.id")
    record_kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    purpose: str = Field(max_length=32)
    reason: str = Field(max_length=500)
    expires_at: datetime = utc_field()
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = utc_field(default_now=True)
    revoked_at: datetime | None = utc_field(nullable=True)
    revoked_by: uuid.UUID | None = Field(default=None)

    __table_args__ = (Index("ix_supportgrant_staff", "tenant_id", "staff_account_id"),)
