"""Sweep runs. Legal holds and the deletion log are `app.privacy.models` (the rights domain,
below this one, checks the holds and logs what it erases); the per-lesson tally the sweep
leaves behind is `app.analytics.models.LessonTally`: analytics reads it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, tenant_field, utc_field
from app.privacy.models import DeletionLog as DeletionLog
from app.privacy.models import LegalHold as LegalHold


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
