"""The OneRoster 1.2 rostering scopes, and which collections each one opens."""

from __future__ import annotations

from enum import StrEnum

SCOPE_BASE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"


class RosterScope(StrEnum):
    CORE = SCOPE_BASE + "roster-core.readonly"
    ROSTER = SCOPE_BASE + "roster.readonly"
    DEMOGRAPHICS = SCOPE_BASE + "roster-demographics.readonly"


ALL_SCOPES = tuple(s.value for s in RosterScope)
CORE_COLLECTIONS = frozenset(
    {
        "orgs",
        "schools",
        "academicSessions",
        "terms",
        "gradingPeriods",
        "courses",
        "classes",
        "users",
        "students",
        "teachers",
        "enrollments",
    }
)


def opens(granted: frozenset[str], collection: str) -> bool:
    """Whether a token's scopes reach a collection (demographics need their own scope)."""
    if collection == "demographics":
        return RosterScope.DEMOGRAPHICS in granted or RosterScope.ROSTER in granted
    return bool({RosterScope.CORE, RosterScope.ROSTER} & granted)


def parse_scope(value: str) -> str | None:
    """A scope by its full URI or its short name (`roster-core.readonly`)."""
    full = value if value.startswith(SCOPE_BASE) else SCOPE_BASE + value
    return full if full in ALL_SCOPES else None
