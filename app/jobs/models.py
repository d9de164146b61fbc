"""The SQLite job queue (PostgreSQL keeps its jobs in procrastinate's own tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.models import id_field, utc_field


class QueuedJob(SQLModel, table=True):
    """One job: todo -> doing -> succeeded | failed; a stalled 'doing' goes back to todo."""

    __tablename__ = "queued_job"

    id: uuid.UUID = id_field()  # UUIDv7: time-ordered, so the queue is first in, first out
    task_name: str = Field(max_length=100)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lock: str | None = Field(default=None, max_length=100)
    status: str = Field(default="todo", max_length=16)
    attempts: int = Field(default=0)
    run_after: datetime = utc_field(default_now=True)
    locked_at: datetime | None = utc_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = utc_field(default_now=True)
    finished_at: datetime | None = utc_field(nullable=True)

    __table_args__ = (Index("ix_queued_job_status_run_after", "status", "run_after"),)
