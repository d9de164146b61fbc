"""Working days on the Chinese public-holiday calendar, for the 15-working-day deadlines.

The official schedule (days off and make-up working days, `policies/workdays-cn.toml`) is
authoritative for the years it lists; any other year falls back to the rule-based China
calendar of the `holidays` package, and a date counted through such a year is provisional.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from app.core.config import ROOT

SCHEDULE_FILE = ROOT / "policies" / "workdays-cn.toml"
DEADLINE_WORKING_DAYS = 15  # RGT-2/4/6/10/11/16/22..24
DUE_SOON_WORKING_DAYS = 3  # RGT-25: flagged before the deadline


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class YearSchedule:
    days_off: frozenset[date]
    make_up_workdays: frozenset[date]


@dataclass(frozen=True)
class DueDate:
    on: date
    provisional: bool


@dataclass
class WorkdayCalendar:
    official: dict[int, YearSchedule]
    _rules: dict[int, YearSchedule] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = SCHEDULE_FILE) -> WorkdayCalendar:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
        return cls({_year(path, name): _schedule(path, name, table) for name, table in raw.items()})

    def covers(self, year: int) -> bool:
        return year in self.official

    def _schedule(self, year: int) -> YearSchedule:
        if year in self.official:
            return self.official[year]
        if year not in self._rules:
            import holidays  # only for years the schedule lacks; keeps start-up light

            china = holidays.country_holidays("CN", years=year)
            self._rules[year] = YearSchedule(
                frozenset(china.keys()), frozenset(getattr(china, "weekend_workdays", ()))
            )
        return self._rules[year]

    def is_working_day(self, day: date) -> bool:
        schedule = self._schedule(day.year)
        if day in schedule.make_up_workdays:
            return True
        return day.weekday() < 5 and day not in schedule.days_off

    def add_working_days(self, start: date, count: int) -> DueDate:
        """The `count`-th working day after `start` (the day of receipt is not counted)."""
        day, left, provisional = start, count, False
        while left > 0:
            day += timedelta(days=1)
            provisional = provisional or not self.covers(day.year)
            if self.is_working_day(day):
                left -= 1
        return DueDate(day, provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        days, day = 0, start
        while day < end:
            day += timedelta(days=1)
            days += self.is_working_day(day)
        return days


def _year(path: Path, name: str) -> int:
    if not name.isdigit() or len(name) != 4:
        raise ScheduleError(f"{path}: [{name}] is not a year")
    return int(name)


def _dates(path: Path, name: str, table: dict[str, object], key: str) -> frozenset[date]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise ScheduleError(f"{path}: [{name}].{key} must be a list of dates")
    out: set[date] = set()
    for value in values:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ScheduleError(f"{path}: [{name}].{key}: {value!r} is not a date") from None
        if day.year != int(name):
            raise ScheduleError(f"{path}: [{name}].{key}: {value} is not in {name}")
        out.add(day)
    return frozenset(out)


def _schedule(path: Path, name: str, table: object) -> YearSchedule:
    if not isinstance(table, dict):
        raise ScheduleError(f"{path}: [{name}] must be a table")
    days_off = _dates(path, name, table, "holidays")
    make_up = _dates(path, name, table, "workdays")
    if days_off & make_up:
        raise ScheduleError(f"{path}: [{name}] lists a day as both holiday and workday")
    return YearSchedule(days_off, make_up)


@lru_cache(maxsize=1)
def default_calendar() -> WorkdayCalendar:
    return WorkdayCalendar.load()
