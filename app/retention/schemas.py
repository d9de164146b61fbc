"""Request and response bodies of `/v1/tenants/{slug}/retention` and `/holds`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import ApiDateTime, ApiInput
from app.core.vocabulary import HoldScope, RetentionCategory


class HoldIn(ApiInput):
    """A legal hold: a school, a person in it, or one category of it (RET-5)."""

    model_config = ConfigDict(extra="forbid")
    scope: HoldScope
    person_id: uuid.UUID | None = None
    category: RetentionCategory | None = None
    reason: str = Field(min_length=3, max_length=500)
    until: ApiDateTime | None = None


class HoldOut(BaseModel):
    id: uuid.UUID
    scope: HoldScope
    person_id: uuid.UUID | None
    category: RetentionCategory | None
    reason: str
    until: datetime | None
    placed_at: datetime
    placed_by: uuid.UUID | None


class PeriodOut(BaseModel):
    category: RetentionCategory
    days: int
    platform_days: int
    shortened: bool  # the school's tenant file shortened it
    counted_from: str
    action: str
    reason: str


class RunOut(BaseModel):
    id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    duration_ms: int
    counts: dict[str, Any]
    held: list[dict[str, Any]]


class RetentionOut(BaseModel):
    periods: list[PeriodOut]
    holds: list[HoldOut]
    last_sweeps: list[RunOut]
