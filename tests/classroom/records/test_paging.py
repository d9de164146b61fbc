"""Every list of a lesson's records pages by key: ties broken by id, forged cursors refused,
and the purposes of an events read come from policies/purposes.toml (PUR-7, PUR-12)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.pagination import encode_cursor
from tests.classroom.conftest import CLASSMATE, NORTH_ADMIN, STUDENT, TEACHER, event, send


def _url(world: Any, what: str) -> str:
    return f"/v1/tenants/demo-north/lessons/{world.lesson}/{what}"


async def _all_pages(client, headers, url, **params) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        asked = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, headers=headers, params=asked)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


async def test_events_at_the_same_instant_page_by_id_each_once(client, login, world):
    same = [event(world, "behaviour.hand_raised", 1, who=STUDENT) for _ in range(5)]
    same += [event(world, "behaviour.hand_raised", 1, who=CLASSMATE) for _ in range(2)]
    assert (await send(client, world.key, same)).status_code == 202
    admin = await login(NORTH_ADMIN)
    items = await _all_pages(client, admin, _url(world, "events"), limit=2)
    assert sorted(i["client_id"] for i in items) == sorted(e["id"] for e in same)
    ids = [i["id"] for i in items]
    assert len(set(ids)) == 7 and ids == sorted(ids)


async def test_attendance_and_rollups_page_through_everyone(client, login, world):
    batch = [
        event(world, "attendance.joined", 0, who=STUDENT),
        event(world, "attendance.left", 5, who=STUDENT, reason="left"),
        event(world, "attendance.joined", 6, who=STUDENT),
        event(world, "attendance.joined", 6, who=CLASSMATE),
        event(world, "attendance.joined", 7, who=TEACHER),
    ]
    assert (await send(client, world.key, batch)).status_code == 202
    admin = await login(NORTH_ADMIN)
    spans = await _all_pages(client, admin, _url(world, "attendance"), limit=1)
    assert len(spans) == 4 and len({s["id"] for s in spans}) == 4
    assert [s["joined_at"] for s in spans] == sorted(s["joined_at"] for s in spans)
    rollups = await _all_pages(client, admin, _url(world, "rollups"), limit=2)
    assert {r["user"]["id"] for r in rollups} == {
        world.user(STUDENT),
        world.user(CLASSMATE),
        world.user(TEACHER),
    }


@pytest.mark.parametrize("what", ["events", "attendance", "rollups", "recordings", "snapshots"])
async def test_a_forged_cursor_answers_422_cursor(client, login, world, what):
    admin = await login(NORTH_ADMIN)
    for forged in ("not-base64!", encode_cursor(["x"]), encode_cursor(["x", "y"])):
        response = await client.get(_url(world, what), headers=admin, params={"cursor": forged})
        assert response.status_code == 422, (what, forged, response.text)
        assert response.json()["field"] == "cursor"


async def test_learning_record_reads_the_kinds_purposes_toml_lists(client, login, world):
    batch = [
        event(world, "attendance.joined", 0),
        event(world, "behaviour.hand_raised", 1),
        event(world, "tool.wheel", 2),
        event(world, "teacher.muted", 3, who=TEACHER),
        event(world, "diagnostics.sample", 4, latency_ms=12.0),
    ]
    assert (await send(client, world.key, batch)).status_code == 202
    admin = await login(NORTH_ADMIN)
    items = await _all_pages(
        client, admin, _url(world, "events"), purpose="learning_record", limit=500
    )
    assert {i["record_kind"] for i in items} == {"attendance", "behaviour", "tool_use"}


@pytest.mark.parametrize("purpose", ["rights_handling", "account"])
async def test_purposes_that_list_no_events_are_refused(client, login, world, purpose):
    admin = await login(NORTH_ADMIN)
    response = await client.get(_url(world, "events"), headers=admin, params={"purpose": purpose})
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "purpose"
