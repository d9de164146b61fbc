"""One access export: who it is about, who asked, where its zip is once built."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, utc_field


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    ready = "ready"
    failed = "failed"


class AccessExport(SQLModel, table=True):
    """Account-level (Rostra is controller of the account): no school owns the row."""

    __tablename__ = "access_export"

    id: uuid.UUID = id_field()
    account_id: uuid.UUID = Field(foreign_key="account.id")  # whose data
    requested_by: uuid.UUID = Field(foreign_key="account.id")  # the person or their guardian
    request_id: uuid.UUID | None = Field(default=None)  # the rights request it fulfils, if any
    language: str = Field(default="zh", max_length=8)
    status: str = Field(default=ExportStatus.queued, max_length=16)
    attempts: int = Field(default=0)
    object_key: str | None = Field(default=None, max_length=255)
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sha256: str | None = Field(default=None, max_length=64)
    # {file name: rows} and the schools whose data the zip holds.
    contents: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = utc_field(default_now=True)
    started_at: datetime | None = utc_field(nullable=True)
    finished_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (
        Index("ix_access_export_account", "account_id", "created_at"),
        Index("ix_access_export_requested_by", "requested_by", "created_at"),
    )
