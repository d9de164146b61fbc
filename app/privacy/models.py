"""Privacy notices (the platform's and each school's), acceptances, consent withdrawals."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


class Notice(SQLModel, table=True):
    """One published version of a school's notice for its classroom data (POL-6)."""

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    version: str = Field(max_length=32)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)  # what changed since the last version
    effective_on: date | None = Field(default=None)
    reduces_rights: bool = Field(default=False)  # POL-3: needs explicit re-acceptance
    published_at: datetime = utc_field(default_now=True)

    __table_args__ = (UniqueConstraint("tenant_id", "version"),)


class PlatformNotice(SQLModel, table=True):
    """One published version of Rostra's own notice (Rostra controls the account)."""

    __tablename__ = "platform_notice"

    id: uuid.UUID = id_field()
    version: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)
    effective_on: date
    reduces_rights: bool = Field(default=False)
    published_at: datetime = utc_field(default_now=True)


class NoticeAcceptance(SQLModel, table=True):
    """An account agreed to one notice version (GEN-1/2), itself or through a guardian.

    A platform table: the acceptance is the account's act, read only by its own id.
    """

    __tablename__ = "notice_acceptance"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")
    notice_id: uuid.UUID  # a platform_notice or a school's notice
    school_id: uuid.UUID | None = Field(default=None)  # the school of a school notice
    version: str = Field(max_length=32)
    accepted_by: uuid.UUID = Field(foreign_key="account.id")  # the guardian, for a child
    accepted_at: datetime = utc_field(default_now=True)

    __table_args__ = (UniqueConstraint("account_id", "notice_id"),)


class ConsentWithdrawal(SQLModel, table=True):
    """A person took back one consent category in a school; ingestion drops those events."""

    __tablename__ = "consent_withdrawal"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")
    category: str = Field(max_length=24)  # a ConsentCategory
    withdrawn_at: datetime = utc_field()
    restored_at: datetime | None = utc_field(nullable=True)
    withdrawn_by: uuid.UUID | None = Field(default=None)  # the person or their guardian
    restored_by: uuid.UUID | None = Field(default=None)

    __table_args__ = (Index("ix_consent_withdrawal_account", "tenant_id", "account_id"),)


class PersonalNotice(SQLModel, table=True):
    """A message to one person in the app (an incident, a shutdown, an offboarding school).

    A platform table keyed by the account: it outlives the school it may be about.
    """

    __tablename__ = "personal_notice"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")
    kind: str = Field(max_length=16)  # a NoticeKind
    ref_id: uuid.UUID  # the incident, shutdown or offboarding it is about
    school_id: uuid.UUID | None = Field(default=None)  # no foreign key: the school may be gone
    language: str = Field(default="zh", max_length=8)
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    created_at: datetime = utc_field(default_now=True)
    acknowledged_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (UniqueConstraint("account_id", "kind", "ref_id"),)
