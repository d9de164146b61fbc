"""What analytics keeps of its own: the per-lesson tally, the counts of rollups the retention
sweep anonymised (aggregates without a person). The sweep (`app.retention.tally`) writes it,
a layer above; the course views and reports read it beside the rollups still on record.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.core.models import tenant_field, utc_field
from app.tenancy.models import TenantScopedFK


class LessonTally(SQLModel, table=True):
    """Per-lesson counts of the rollups the sweep anonymised: aggregates without a person."""

    __tablename__ = "lesson_tally"

    tenant_id: uuid.UUID = tenant_field()
    lesson_id: uuid.UUID = Field(primary_key=True)
    participants: int = Field(default=0)
    attended_seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    joins: int = Field(default=0)
    hand_raises: int = Field(default=0)
    rewards: int = Field(default=0)
    speaking_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    camera_seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    stage_seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    answers_correct: int = Field(default=0)
    answers_total: int = Field(default=0)
    updated_at: datetime = utc_field(default_now=True)

    __table_args__ = (TenantScopedFK.to("lesson", "lesson_id"),)
