"""Request and response shapes of incidents, offboarding and the shutdown."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from app.accounts.shutdown import ServiceNotice
from app.core.fields import ApiDateTime, ApiInput
from app.core.vocabulary import RecordKind
from app.lifecycle.models import Offboarding

LongText = Field(min_length=1, max_length=4000)


class AffectedSchool(ApiInput):
    """One school an incident touched: the people affected there, or everyone in it."""

    school: str = Field(min_length=1, max_length=64)  # the school's slug
    everyone: bool = False
    people: list[uuid.UUID] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _someone(self) -> AffectedSchool:
        if not self.everyone and not self.people:
            raise ValueError("name the people affected, or set everyone")
        return self


class IncidentIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset(
        {"what", "impact", "measures", "advice", "remedies", "progress"}
    )

    what: str = LongText  # basic facts (SEC-12)
    impact: str = Field(default="", max_length=4000)  # possible impact
    happened_at: ApiDateTime
    detected_at: ApiDateTime
    categories: list[RecordKind] = Field(min_length=1, max_length=30)
    schools: list[AffectedSchool] = Field(min_length=1, max_length=1000)
    measures: str = LongText
    advice: str = LongText
    remedies: str = LongText
    progress: str = Field(default="", max_length=4000)
    contact: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _detected_after(self) -> IncidentIn:
        if self.detected_at < self.happened_at:
            raise ValueError("detected_at is before happened_at")
        return self


class IncidentOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    schools: list[str]
    notifications: str  # queued: a job tells every affected person and school


class OffboardingOut(BaseModel):
    id: uuid.UUID
    school: str
    status: str
    requested_at: datetime
    delete_after: datetime
    export_ready: bool
    export_size: int | None
    cancelled_at: datetime | None
    deleted_at: datetime | None

    @classmethod
    def of(cls, row: Offboarding) -> OffboardingOut:
        return cls(
            id=row.id,
            school=row.slug,
            status=row.status,
            requested_at=row.requested_at,
            delete_after=row.delete_after,
            export_ready=row.export_ready_at is not None,
            export_size=row.export_size,
            cancelled_at=row.cancelled_at,
            deleted_at=row.deleted_at,
        )


class ShutdownIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"message_zh", "message_en"})

    ends_at: ApiDateTime
    message_zh: str = Field(default="", max_length=2000)
    message_en: str = Field(default="", max_length=2000)


class ShutdownOut(BaseModel):
    id: uuid.UUID
    ends_at: datetime
    status: str


class ServiceStatus(BaseModel):
    status: str  # operating | closing
    service_notice: ServiceNotice | None


Report = dict[str, Any]
