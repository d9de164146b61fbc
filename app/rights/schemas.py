"""Request and response shapes of rights requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from app.core.fields import ApiInput
from app.rights.models import DeletionGrounds, Erasure, RefusalException, RequestType


class RequestIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"details"})
    type: RequestType
    details: str | None = Field(default=None, max_length=4000)
    grounds: DeletionGrounds | None = None  # required for deletion (RGT-5/6)
    erasure: Erasure | None = None  # cancellation: delete or anonymise (RGT-15, RET-8)
    sms_code: str | None = Field(default=None, max_length=16)  # deletion, cancellation (RGT-18)
    controllers: list[str] | None = Field(
        default=None,
        max_length=50,
        description='"platform" and/or school slugs; default depends on the type',
    )


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    PARTIAL = "partial"


class DecideIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"reason"})
    decision: Decision
    reason: str | None = Field(default=None, max_length=2000)
    exception: RefusalException | None = Field(
        default=None, description="required to refuse or partly refuse (RGT-21)"
    )


class Step(BaseModel):
    status: str
    at: datetime
    by: uuid.UUID | None
    by_kind: str  # person | guardian | platform | school | system
    note: str | None = None
    exception: str | None = None  # the RGT-21 code a refusal named


class RoutedPart(BaseModel):
    controller: str  # "platform" or the school's slug
    id: uuid.UUID
    status: str
    decision: str | None
    reason: str | None
    exception: str | None
    due_on: date
    provisional: bool
    due_soon: bool
    overdue: bool
    history: list[Step]


class RequestOut(BaseModel):
    id: uuid.UUID
    type: str
    status: str
    details: str | None
    grounds: str | None
    erasure: str | None
    received_on: date
    due_on: date
    provisional: bool
    due_soon: bool
    overdue: bool
    repeat_of: uuid.UUID | None
    by_guardian: bool
    routed_to: list[RoutedPart]
    history: list[Step]
    created_at: datetime


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = None


class SchoolRequestOut(BaseModel):
    """A request as the school that decides it sees it."""

    id: uuid.UUID
    request_id: uuid.UUID
    account_id: uuid.UUID
    type: str
    status: str
    details: str | None
    grounds: str | None
    decision: str | None
    reason: str | None
    exception: str | None
    due_on: date
    provisional: bool
    due_soon: bool
    overdue: bool
    repeat_of: uuid.UUID | None
    history: list[Step]
    created_at: datetime


class SchoolRequestPage(BaseModel):
    items: list[SchoolRequestOut]
    next_cursor: str | None = None


def steps(history: list[dict[str, Any]]) -> list[Step]:
    return [Step.model_validate(entry) for entry in history]
