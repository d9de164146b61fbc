"""Times at the ends of the range answer 422 naming the field, never 500 (#11).

One datetime type (`app.core.fields.ApiDateTime`) for every time a client sends: bodies,
query filters, ingestion events, and the times carried inside a forged cursor.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.core.pagination import encode_cursor
from tests.classroom.conftest import NORTH_ADMIN, STUDENT, event, send
from tests.roster.helpers import NORTH, consent, person

EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z"]


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize("edge", EDGES)
async def test_ingested_event_time_out_of_range_is_refused_per_event(client, world, edge):
    """CLS-1: the event names its bad `at`; nothing is stored."""
    response = await send(client, world.key, [{**event(world, "attendance.joined"), "at": edge}])
    assert response.status_code == 422, response.text
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "at")]


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("name", ["from", "to"])
async def test_list_filters_refuse_out_of_range_times(client, login, world, edge, name):
    admin = await login(NORTH_ADMIN)
    for url in (f"{NORTH}/audit", f"{NORTH}/lessons/{world.lesson}/events"):
        response = await client.get(url, params={name: edge}, headers=admin)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == name


@pytest.mark.parametrize("edge", EDGES[:2])
async def test_a_forged_cursor_with_an_out_of_range_time_is_422_cursor(client, login, world, edge):
    admin = await login(NORTH_ADMIN)
    forged = encode_cursor([edge, str(uuid.uuid4())])
    for url in (
        f"{NORTH}/lessons/{world.lesson}/events",
        f"{NORTH}/courses/{world.course}/lessons",
    ):
        response = await client.get(url, params={"cursor": forged}, headers=admin)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == "cursor"


@pytest.mark.parametrize("edge", EDGES)
async def test_bodies_refuse_out_of_range_times(client, login, world, edge):
    admin = await login(NORTH_ADMIN)
    lesson = {"title": "Edge", "starts_at": edge, "duration_minutes": 45}
    created = await client.post(
        f"{NORTH}/courses/{world.course}/lessons", json=lesson, headers=admin
    )
    assert created.status_code == 422 and "starts_at" in _fields(created), created.text

    moved = await client.patch(
        f"{NORTH}/lessons/{world.lesson}", json={"starts_at": edge}, headers=admin
    )
    assert moved.status_code == 422 and "starts_at" in _fields(moved), moved.text

    member = person("13800000777", consent=consent(given_at=edge))
    registered = await client.post(f"{NORTH}/members", json=member, headers=admin)
    assert registered.status_code == 422, registered.text
    assert "consent.given_at" in _fields(registered)

    grant = {
        "staff_phone": "+8613700000001",
        "record_kinds": ["member"],
        "purpose": "technical_support",
        "expires_at": edge,
        "reason": "ticket",
    }
    granted = await client.post(f"{NORTH}/support-grants", json=grant, headers=admin)
    assert granted.status_code == 422 and "expires_at" in _fields(granted), granted.text


@pytest.mark.parametrize("edge", EDGES[:2])
async def test_recording_grant_expiry_out_of_range_is_422(client, login, world, edge):
    admin = await login(NORTH_ADMIN)
    upload = await client.post(
        f"{NORTH}/lessons/{world.lesson}/recordings",
        headers=admin,
        files={"file": ("lesson.mp4", b"\x00\x00\x00\x18ftypmp42" * 100, "video/mp4")},
        data={"notice_shown": "true"},
    )
    assert upload.status_code == 201, upload.text
    granted = await client.post(
        f"{NORTH}/recordings/{upload.json()['id']}/grants",
        json={"phone": STUDENT, "expires_at": edge},
        headers=admin,
    )
    assert granted.status_code == 422 and "expires_at" in _fields(granted), granted.text


async def test_times_inside_the_range_still_work(client, world):
    ok = await send(client, world.key, [event(world, "attendance.joined", 5)])
    assert ok.status_code == 202, ok.text
