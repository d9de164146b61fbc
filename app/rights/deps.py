"""The working-day calendar a request is counted on (replaceable per app, e.g. in tests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.rights.workdays import WorkdayCalendar, default_calendar


async def workday_calendar(request: Request) -> WorkdayCalendar:
    chosen: WorkdayCalendar | None = getattr(request.app.state, "workday_calendar", None)
    return chosen or default_calendar()


CalendarDep = Annotated[WorkdayCalendar, Depends(workday_calendar)]
