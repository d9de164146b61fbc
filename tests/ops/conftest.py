"""The classroom world (two schools, lessons, API keys) for the operations tests."""

from tests.classroom.conftest import world  # noqa: F401
