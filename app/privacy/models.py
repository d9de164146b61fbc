"""Privacy notices (the platform's and each school's), acceptances, consent withdrawals, legal
holds and the deletion log."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
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


class LegalHold(SQLModel, table=True):
    """Suspends the sweep for a school, a person in it or a category of it (RET-5)."""

    __tablename__ = "legal_hold"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    scope: str = Field(max_length=16)  # a HoldScope
    account_id: uuid.UUID | None = Field(default=None, foreign_key="account.id")
    category: str | None = Field(default=None, max_length=32)  # a RetentionCategory
    reason: str = Field(max_length=500)
    until: datetime | None = utc_field(nullable=True)  # None: until lifted
    placed_by: uuid.UUID | None = Field(default=None)
    placed_at: datetime = utc_field(default_now=True)
    lifted_at: datetime | None = utc_field(nullable=True)
    lifted_by: uuid.UUID | None = Field(default=None)

    __table_args__ = (Index("ix_legal_hold_tenant_placed", "tenant_id", "placed_at"),)


class DeletionLog(SQLModel, table=True):
    """What one sweep batch removed from one table: school, primary keys, when. Ids only, no
    personal data; replayed into a restored backup so deleted rows stay deleted (RET-6).

    A platform table on purpose (`school_id`, not `tenant_id`): it outlives the rows and the
    school it names, and a restore replays it for every school at once.
    """

    __tablename__ = "deletion_log"

    id: uuid.UUID = id_field()  # UUIDv7: replay order is deletion order
    table_name: str = Field(max_length=64)
    category: str = Field(max_length=32)  # the RetentionCategory that swept it
    school_id: uuid.UUID | None = Field(default=None)  # None: a platform table
    # pk column -> the batch's values, in the same order for every column
    keys: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))
    row_count: int = Field(default=0)
    action: str = Field(max_length=16)  # delete | anonymise
    run_id: uuid.UUID
    at: datetime = utc_field(default_now=True)

    __table_args__ = (Index("ix_deletion_log_at", "at"), Index("ix_deletion_log_run", "run_id"))
