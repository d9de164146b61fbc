"""Legal holds, sweep runs and the deletion log (the per-lesson tally the sweep leaves behind
is `app.analytics.models.LessonTally`: analytics reads it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field


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


class RetentionRun(SQLModel, table=True):
    """One sweep of one school: counts per category and table, what holds kept, how long."""

    __tablename__ = "retention_run"

    tenant_id: uuid.UUID = tenant_field()
    id: uuid.UUID = id_field()
    started_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)
    status: str = Field(default="running", max_length=16)  # running | finished
    trigger: str = Field(default="cli", max_length=16)  # cli | job | shutdown
    # {category: {table: {"deleted"|"anonymised"|"held": n}}}
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # [{"hold": id, "scope", "category", "account_id", "reason", "rows": {table: n}}]
    held: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    duration_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))

    __table_args__ = (Index("ix_retention_run_started", "tenant_id", "started_at"),)


class PlatformRetentionRun(SQLModel, table=True):
    """One sweep of the platform's own categories (login state of every school's people)."""

    __tablename__ = "platform_retention_run"

    id: uuid.UUID = id_field()
    started_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)
    status: str = Field(default="running", max_length=16)
    trigger: str = Field(default="cli", max_length=16)
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    duration_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


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
