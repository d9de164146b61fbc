"""Schools (tenants), memberships (who holds which role where) and guardianships."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class Tenant(SQLModel, table=True):
    """A school: platform-level (a reference table under Citus)."""

    id: uuid.UUID = id_field()
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=64)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    retention: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    notice_version: str = Field(default="1", max_length=32)
    time_zone: str = Field(default="Asia/Shanghai", max_length=64)  # the school's days and weeks
    late_after_minutes: int = Field(default=5)  # first join later than this after start: late
    # `[oidc]` of the tenant file: the school's OpenID Connect provider (app/identity), if any.
    oidc: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Offboarding: days between the admin's request and the deletion, cancellable until then.
    offboarding_notice_days: int = Field(default=30)
    # Events per minute its classroom services may send (None: the platform's setting).
    ingest_events_per_minute: int | None = Field(default=None)
    source_file_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)


class MembershipStatus(StrEnum):
    pending = "pending"  # registered by the school; works on the school's attestation
    active = "active"  # confirmed by the person
    disputed = "disputed"  # the person says they never agreed: suspended
    inactive = "inactive"  # deactivated by the school, kept for the record
    suspended = "suspended"  # a minor reported without guardian consent (MIN-7), until settled


class AgeBand(StrEnum):
    under14 = "under14"
    from14to17 = "14to17"
    adult = "adult"


class Membership(SQLModel, table=True):
    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    role: str = Field(max_length=16)
    status: str = Field(default=MembershipStatus.pending, max_length=16)
    age_band: str | None = Field(default=None, max_length=8)
    display_name: str | None = Field(default=None, max_length=200)
    registered_by: uuid.UUID | None = Field(default=None)
    source_id: str | None = Field(default=None, max_length=255)
    status_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_field(default_now=True)
    updated_at: datetime = utc_field(default_now=True)
    confirmed_at: datetime | None = utc_field(nullable=True)
    # What the school's OneRoster file said of the person that Rostra keeps only to give back.
    oneroster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    __table_args__ = (
        UniqueConstraint("tenant_id", "account_id", "role"),
        Index("ix_membership_tenant_role", "tenant_id", "role", "id"),
    )


class Guardianship(SQLModel, table=True):
    """A guardian of a student in one school: relates two people, so tenancy keeps it."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    guardian_id: uuid.UUID = Field(foreign_key="account.id")
    student_id: uuid.UUID = Field(foreign_key="account.id")
    created_at: datetime = utc_field(default_now=True)

    __table_args__ = (
        UniqueConstraint("tenant_id", "guardian_id", "student_id"),
        Index("ix_guardianship_student", "tenant_id", "student_id"),
    )


class TenantScopedFK:
    """Composite foreign keys that keep a row inside its own school."""

    @staticmethod
    def to(table: str, *local: str) -> ForeignKeyConstraint:
        return ForeignKeyConstraint(["tenant_id", *local], [f"{table}.tenant_id", f"{table}.id"])
