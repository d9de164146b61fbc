"""Due dates and flags: 15 working days from receipt, due soon within 3, overdue after.

A date counted through a year the official schedule does not list is provisional; it is
counted again once `policies/workdays-cn.toml` gains that year (`refresh`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.rights.models import CLOSED, RightsRequest
from app.rights.workdays import (
    DEADLINE_WORKING_DAYS,
    DUE_SOON_WORKING_DAYS,
    DueDate,
    WorkdayCalendar,
)


def due_from(calendar: WorkdayCalendar, received_on: date) -> DueDate:
    return calendar.add_working_days(received_on, DEADLINE_WORKING_DAYS)


@dataclass(frozen=True)
class Flags:
    due_soon: bool
    overdue: bool


def flags(calendar: WorkdayCalendar, status: str, due_on: date, today: date) -> Flags:
    if status in CLOSED:
        return Flags(False, False)
    if today > due_on:
        return Flags(False, True)
    left = calendar.working_days_between(today, due_on)
    return Flags(left <= DUE_SOON_WORKING_DAYS, False)


def due_soon_until(calendar: WorkdayCalendar, today: date) -> date:
    """The last due date that counts as due soon today."""
    return calendar.add_working_days(today, DUE_SOON_WORKING_DAYS).on


def recount(calendar: WorkdayCalendar, request: RightsRequest) -> DueDate | None:
    """The due date counted again, if it was provisional and the schedule now covers it."""
    if not request.provisional:
        return None
    due = due_from(calendar, request.received_on)
    return None if due.provisional else due
