"""Attendance spans and rollups for a hand-made lesson, sent out of order in two batches."""

from __future__ import annotations

import random

import pytest

from tests.classroom.conftest import CLASSMATE, NORTH_ADMIN, STUDENT, TEACHER, event, send


def _scenario(world):
    s = STUDENT
    return [
        event(world, "attendance.joined", 0, who=s),
        event(world, "behaviour.camera_on", 1, who=s),
        event(world, "behaviour.stage_up", 2, who=s),
        event(world, "behaviour.spoke", 3, who=s, duration_ms=1500),
        event(world, "behaviour.spoke", 4, who=s, duration_ms=2500),
        event(world, "behaviour.hand_raised", 5, who=s),
        event(world, "behaviour.hand_raised", 6, who=s),
        event(world, "behaviour.stage_down", 7, who=s),
        event(world, "behaviour.rewarded", 8, who=s, count=2),
        event(world, "tool.answerer", 9, who=s, question="q1", choice="A", correct=True),
        event(world, "tool.answerer", 10, who=s, question="q2", choice="C", correct=False),
        event(world, "attendance.left", 20, who=s, reason="network_lost"),  # camera off too
        event(world, "attendance.joined", 25, who=s),
        event(world, "behaviour.camera_on", 30, who=s),
        # no leave: closed at the lesson's end (10:00 + 60 minutes)
        event(world, "attendance.joined", 5, who=CLASSMATE),
        event(world, "attendance.left", 15, who=CLASSMATE, reason="left"),
    ]


async def _rollups(client, headers, world) -> dict[str, dict]:
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/rollups"
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return {r["user"]["id"]: r for r in response.json()["items"]}


@pytest.mark.parametrize(
    "arrival",
    ["reversed_in_two_batches", "in_order_one_by_one", "in_order_in_three", "shuffled_in_five"],
)
async def test_rollups_and_spans_whatever_the_arrival(client, login, world, arrival):
    events = _scenario(world)
    if arrival == "reversed_in_two_batches":  # the second batch is older: walked again
        events.reverse()
        batches = [events[:7], events[7:]]
    elif arrival == "in_order_one_by_one":  # every batch continues the saved walk
        batches = [[e] for e in events]
    elif arrival == "in_order_in_three":
        batches = [events[:5], events[5:12], events[12:]]
    else:
        random.Random(5).shuffle(events)
        batches = [events[i : i + 4] for i in range(0, len(events), 4)]
    for batch in batches:
        response = await send(client, world.key, batch)
        assert response.status_code == 202, response.text
    admin = await login(NORTH_ADMIN)
    rollups = await _rollups(client, admin, world)
    mine = rollups[world.user(STUDENT)]
    assert mine["user"]["phone_masked"] == "+86 138****0201"
    assert mine["user"]["display_name"] == "student 0201"
    assert {k: v for k, v in mine.items() if k not in ("user", "counts")} == {
        "minutes": 55.0,
        "joins": 2,
        "first_join": "2026-11-20T10:00:00Z",
        "last_leave": "2026-11-20T10:20:00Z",
        "hand_raises": 2,
        "rewards": 2,
        "speaking_seconds": 4.0,
        "camera_seconds": 19 * 60 + 30 * 60,
        "stage_seconds": 5 * 60,
        "answers_correct": 1,
        "answers_total": 2,
    }
    assert mine["counts"] == {
        "behaviour.camera_on": 2,
        "behaviour.stage_up": 1,
        "behaviour.stage_down": 1,
        "behaviour.spoke": 2,
        "behaviour.hand_raised": 2,
        "behaviour.rewarded": 1,
        "tool.answerer": 2,
    }
    assert rollups[world.user(CLASSMATE)]["minutes"] == 10.0

    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/attendance"
    spans = (await client.get(url, headers=admin)).json()["items"]
    summary = [
        (
            s["user"]["id"],
            s["joined_at"],
            s["left_at"],
            s["leave_reason"],
            s["closed_at_lesson_end"],
        )
        for s in spans
    ]
    student, classmate = world.user(STUDENT), world.user(CLASSMATE)
    assert summary == [
        (student, "2026-11-20T10:00:00Z", "2026-11-20T10:20:00Z", "network_lost", False),
        (classmate, "2026-11-20T10:05:00Z", "2026-11-20T10:15:00Z", "left", False),
        (student, "2026-11-20T10:25:00Z", "2026-11-20T11:00:00Z", None, True),
    ]
    assert [s["seconds"] for s in spans] == [1200, 600, 2100]


async def test_lesson_end_recloses_open_spans_and_retries_change_nothing(client, login, world):
    scenario = _scenario(world)
    await send(client, world.key, scenario)
    ended = [
        event(world, "lesson.started", 0, who=TEACHER),
        event(world, "lesson.ended", 50, who=TEACHER),
    ]
    assert (await send(client, world.key, ended)).json()["accepted"] == 2
    admin = await login(NORTH_ADMIN)
    mine = (await _rollups(client, admin, world))[world.user(STUDENT)]
    assert mine["minutes"] == 45.0  # 20 + (10:25 -> 10:50)
    assert mine["camera_seconds"] == 19 * 60 + 20 * 60
    again = await send(client, world.key, scenario + ended)
    assert again.json() == {"accepted": 0, "duplicates": len(scenario) + 2, "dropped": 0}
    assert (await _rollups(client, admin, world))[world.user(STUDENT)] == mine


async def test_late_old_event_after_the_lesson_ended_rewalks_the_pair(client, login, world):
    scenario = _scenario(world)
    late = scenario.pop(12)  # the rejoin at 10:25 arrives last, after the end
    for e in scenario:
        await send(client, world.key, [e])
    await send(client, world.key, [event(world, "lesson.ended", 50, who=TEACHER)])
    admin = await login(NORTH_ADMIN)
    before = (await _rollups(client, admin, world))[world.user(STUDENT)]
    assert before["minutes"] == 20.0  # left at 10:20; the camera_on at 10:30 opens camera only
    assert before["camera_seconds"] == 19 * 60 + 20 * 60
    await send(client, world.key, [late])
    after = (await _rollups(client, admin, world))[world.user(STUDENT)]
    assert after["minutes"] == 45.0
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/attendance"
    spans = (await client.get(url, headers=admin)).json()["items"]
    mine = [(s["joined_at"], s["left_at"]) for s in spans if s["user"]["id"] == world.user(STUDENT)]
    assert mine == [
        ("2026-11-20T10:00:00Z", "2026-11-20T10:20:00Z"),
        ("2026-11-20T10:25:00Z", "2026-11-20T10:50:00Z"),
    ]
