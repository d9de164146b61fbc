"""The retention periods of `policies/retention.toml` and a school's shorter ones (RET-3, RET-7).

Pure code: reads the file, checks a tenant file's `[retention]` table against it. The sweep
that applies the periods lives in `app/retention`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from app.core.config import ROOT
from app.core.vocabulary import RetentionCategory

RETENTION_FILE: Final = ROOT / "policies" / "retention.toml"


class RetentionAction(StrEnum):
    DELETE = "delete"
    ANONYMISE = "anonymise"


class RetentionScope(StrEnum):
    SCHOOL = "school"
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class Period:
    category: RetentionCategory
    days: int
    counted_from: str
    action: RetentionAction
    scope: RetentionScope
    reason: str

    @property
    def delta(self) -> timedelta:
        return timedelta(days=self.days)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    periods: dict[RetentionCategory, Period]
    kept: dict[str, str]  # tables no period applies to -> why

    def school_categories(self) -> list[RetentionCategory]:
        return [c for c, p in self.periods.items() if p.scope == RetentionScope.SCHOOL]

    def platform_categories(self) -> list[RetentionCategory]:
        return [c for c, p in self.periods.items() if p.scope == RetentionScope.PLATFORM]

    def days_for(self, category: RetentionCategory, overrides: dict[str, Any]) -> int:
        """The period in force for a school: its own where shorter, else the platform's."""
        default = self.periods[category].days
        own = overrides.get(category.value)
        return min(default, int(own)) if isinstance(own, int) else default


class RetentionFileError(ValueError):
    pass


def _period(name: str, table: dict[str, Any]) -> Period:
    try:
        category = RetentionCategory(name)
        days = table["days"]
        if not isinstance(days, int) or days < 1:
            raise RetentionFileError(f"retention.toml: {name}.days must be a whole number >= 1")
        return Period(
            category=category,
            days=days,
            counted_from=str(table["from"]),
            action=RetentionAction(table["action"]),
            scope=RetentionScope(table["scope"]),
            reason=str(table["reason"]),
        )
    except (KeyError, ValueError) as exc:
        if isinstance(exc, RetentionFileError):
            raise
        raise RetentionFileError(f"retention.toml: [{name}]: {exc!r}") from None


def load_retention(path: Path = RETENTION_FILE) -> RetentionPolicy:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kept = {str(k): str(v) for k, v in data.pop("kept", {}).items()}
    periods = {p.category: p for p in (_period(name, t) for name, t in data.items())}
    missing = set(RetentionCategory) - set(periods)
    if missing:
        raise RetentionFileError(f"retention.toml: no period for {sorted(missing)}")
    return RetentionPolicy(periods=periods, kept=kept)


@lru_cache(maxsize=1)
def get_retention() -> RetentionPolicy:
    return load_retention()


def check_school_retention(overrides: dict[str, int], policy: RetentionPolicy) -> tuple[str, str]:
    """('', '') when a tenant file's `[retention]` is allowed, else (key, reason): a school may
    only shorten a school category's period (RET-7: extend only where law requires)."""
    for key, days in sorted(overrides.items()):
        try:
            period = policy.periods[RetentionCategory(key)]
        except ValueError:
            known = ", ".join(c.value for c in policy.school_categories())
            return f"retention.{key}", f"unknown data category; known: {known}"
        if period.scope != RetentionScope.SCHOOL:
            return f"retention.{key}", "a platform category: schools cannot change it"
        if days < 1:
            return f"retention.{key}", "must be at least 1 day"
        if days > period.days:
            return (
                f"retention.{key}",
                f"{days} days is longer than the platform's {period.days}: "
                "a school may only shorten a period",
            )
    return "", ""
