"""Events dated far from their lesson are refused per event, with a reason (#11, CLS-1)."""

from __future__ import annotations

import pytest

from tests.classroom.conftest import TEACHER, event, send

DAY = 24 * 60


@pytest.mark.parametrize(
    "kind, minute",
    [
        ("attendance.joined", -DAY - 1),  # more than a day before the scheduled start
        ("attendance.joined", 60 + DAY + 1),  # more than a day after the scheduled end
        ("lesson.ended", -8 * DAY),  # "ended" eight days before it is scheduled
    ],
)
async def test_an_event_outside_its_lessons_window_is_refused(client, world, kind, minute):
    who = TEACHER if kind.startswith("lesson.") else "+8613800000201"
    fine = event(world, "attendance.joined", 1)
    far = event(world, kind, minute, who=who)
    response = await send(client, world.key, [fine, far])
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "at")]
    assert "window" in errors[0]["reason"]


async def test_lesson_ended_before_it_started_is_refused(client, world):
    started = await send(client, world.key, [event(world, "lesson.started", 10, who=TEACHER)])
    assert started.status_code == 202, started.text
    ended = await send(client, world.key, [event(world, "lesson.ended", 5, who=TEACHER)])
    assert ended.status_code == 422, ended.text
    assert ended.json()["errors"][0]["field"] == "at"


async def test_events_inside_the_window_are_accepted(client, world):
    sent = [
        event(world, "attendance.joined", -DAY + 5),
        event(world, "attendance.left", 60 + DAY - 5, reason="left"),
    ]
    response = await send(client, world.key, sent)
    assert response.status_code == 202, response.text
