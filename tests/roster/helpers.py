"""Shared bits of the roster tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NORTH_ADMIN = "+8613800000001"
SOUTH_ADMIN = "+8613900000001"
NORTH = "/v1/tenants/demo-north"
SOUTH = "/v1/tenants/demo-south"


def consent(given_by: str = "self", **over: Any) -> dict[str, Any]:
    body = {
        "given_by": given_by,
        "method": "paper_form",
        "notice_version": "1",
        "given_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
    }
    return body | over


def person(phone: str, role: str = "teacher", **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"phone": phone, "role": role, "display_name": f"{role} {phone[-4:]}"}
    if role == "student":
        body["age_band"] = "adult"
    body["consent"] = consent()
    return body | over


def course(code: str = "MATH-7A", **over: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "name": f"Course {code}",
        "subject": "Mathematics",
        "term": "2026 autumn",
        "starts_on": "2026-09-01",
        "ends_on": "2027-01-31",
    }
    return body | over


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}
