"""Shapes of a report that a minor uses the service without guardian consent."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field

from app.core.fields import ApiInput
from app.roster.schemas import RosterIssueOut


class MinorReportIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"note"})
    school: str = Field(max_length=64, description="the school's slug")
    note: str | None = Field(default=None, max_length=1000)


class GuardianConsent(StrEnum):
    CONFIRMED = "confirmed"  # the school holds the guardian's consent: service resumes
    ABSENT = "absent"  # none: the minor's data in the school is deleted (MIN-8)


class MinorDecisionIn(ApiInput):
    multiline: ClassVar[frozenset[str]] = frozenset({"note"})
    consent: GuardianConsent
    note: str | None = Field(default=None, max_length=1000)


class MinorDecisionOut(BaseModel):
    issue: RosterIssueOut
    membership_status: str
    erased: dict[str, int] = Field(default_factory=dict)
