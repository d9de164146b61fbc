"""The operations tests reuse the classroom world: two schools, lessons, a roster, API keys."""

from __future__ import annotations

from tests.classroom.conftest import world  # noqa: F401  (the fixture, re-exported)
