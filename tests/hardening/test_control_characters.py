"""Control characters in text answer 422 naming the field, on both databases (#11).

Before: NUL reached PostgreSQL (500, `invalid byte sequence`) and was stored on SQLite.
One rule (`app.core.fields`): request bodies through `ApiInput`, ingestion events through
the event checks, query parameters and paths through one app-wide guard.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.classroom.conftest import NORTH_ADMIN, event, send
from tests.roster.helpers import NORTH, course, person

BAD = ["\x00", "\x07", "\x1b[31m", "line\nbreak"]


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize("bad", BAD)
async def test_member_and_course_text_with_control_characters_is_422(client, login, world, bad):
    """PRX-2 registration and course creation name the field that carries the character."""
    admin = await login(NORTH_ADMIN)
    member = person("13800000778", display_name=f"Ann{bad}")
    registered = await client.post(f"{NORTH}/members", json=member, headers=admin)
    assert registered.status_code == 422, registered.text
    assert _fields(registered) == {"display_name"}

    for name in ("code", "name"):
        created = await client.post(
            f"{NORTH}/courses",
            json=course(**{"code": "OK-1", "name": "Fine", name: f"X{bad}1"}),
            headers=admin,
        )
        assert created.status_code == 422, created.text
        assert _fields(created) == {name}


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("name", ["id", "courseware"])
async def test_ingested_event_text_with_control_characters_is_refused_per_event(
    client, world, bad, name
):
    """CLS-1: the event's error item names the field; nothing is stored."""
    sent = event(world, "courseware.opened", who="+8613800000101", courseware="cw-1")
    sent[name] = f"cw{bad}"
    response = await send(client, world.key, [event(world, "attendance.joined"), sent])
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, name)]
    assert "control characters" in errors[0]["reason"]


@pytest.mark.parametrize("bad", ["\x00", "\x01"])
async def test_query_parameters_with_control_characters_are_422_naming_them(
    client, login, world, bad
):
    admin = await login(NORTH_ADMIN)
    for url, name in (
        (f"{NORTH}/audit", "kind"),
        (f"{NORTH}/lessons/{world.lesson}/events", "kind"),
        (f"{NORTH}/lessons/{world.lesson}/events", "person"),
        (f"{NORTH}/members", "purpose"),
    ):
        response = await client.get(url, params={name: f"member{bad}"}, headers=admin)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == name


async def test_a_path_with_a_control_character_is_422(client, login, world):
    admin = await login(NORTH_ADMIN)
    response = await client.get("/v1/tenants/demo%00north/members", headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "path"


async def test_multiline_fields_keep_tab_and_newline(client, login, world):
    admin = await login(NORTH_ADMIN)
    notice = {"version": "9", "summary": "Line one\n\tLine two"}
    published = await client.post(f"{NORTH}/notices", json=notice, headers=admin)
    assert published.status_code in (200, 201), published.text
    nul = await client.post(
        f"{NORTH}/notices", json={"version": "10", "summary": "a\x00b"}, headers=admin
    )
    assert nul.status_code == 422 and _fields(nul) == {"summary"}, nul.text
