"""The lesson timeline (issue #12): intervals online, on stage, camera, microphone; point
events; the teacher's actions; each record kind within the caller's own scope."""

from __future__ import annotations

from tests.analytics.conftest import hold_lesson
from tests.classroom.conftest import CLASSMATE, OTHER_TEACHER, SOUTH_ADMIN, STUDENT, TEACHER


def _url(world) -> str:
    return f"/v1/tenants/demo-north/analytics/lessons/{world.lesson}/timeline"


def _spans(intervals: list[dict]) -> list[tuple[str, str]]:
    return [(i["from"][11:16], i["to"][11:16]) for i in intervals]


async def test_timeline_of_the_hand_made_lesson(client, login, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    response = await client.get(_url(w), headers=await login(TEACHER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"][11:16], body["end"][11:16]) == ("10:02", "11:02")
    people = {p["user"]["id"]: p for p in body["people"]}
    student = people[w.user(STUDENT)]
    # The crash (no leave) is closed at the lesson's end; leaving ends the camera too.
    assert _spans(student["online"]) == [("10:02", "10:20"), ("10:25", "11:02")]
    assert _spans(student["stage"]) == [("10:04", "10:10")]
    assert _spans(student["camera"]) == [("10:03", "10:20")]
    assert student["microphone"] == []
    assert [e["kind"] for e in student["events"]] == [
        "behaviour.spoke", "behaviour.spoke", "behaviour.hand_raised", "behaviour.hand_raised",
        "behaviour.rewarded", "tool.buzzer", "tool.answerer", "tool.answerer",
    ]  # fmt: skip
    classmate = people[w.user(CLASSMATE)]
    assert [e["kind"] for e in classmate["events"]] == [
        "behaviour.hand_raised", "behaviour.removed",
    ]  # fmt: skip
    actions = [(a["kind"], a["by"], a["data"].get("target")) for a in body["teacher_actions"]]
    assert actions == [
        ("teacher.rewarded", w.user(TEACHER), w.user(STUDENT)),
        ("teacher.muted", w.user(TEACHER), w.user(STUDENT)),
    ]


async def test_a_student_sees_only_their_own_line(client, login, analytics_world):
    w = analytics_world
    await hold_lesson(client, w)
    response = await client.get(_url(w), headers=await login(STUDENT))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["user"]["id"] for p in body["people"]] == [w.user(STUDENT)]
    assert body["teacher_actions"] == []  # AUZ-6: teacher actions are never for students


async def test_timeline_out_of_scope_is_404(client, login, analytics_world):
    w = analytics_world
    assert (await client.get(_url(w), headers=await login(OTHER_TEACHER))).status_code == 404
    assert (await client.get(_url(w), headers=await login(SOUTH_ADMIN))).status_code == 404
