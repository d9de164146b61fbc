"""`POST /v1/ingest/events`: validation all-or-nothing, roster checks, idempotency, consent."""

from __future__ import annotations

import gzip
import uuid
from typing import Any

import orjson
from sqlalchemy import func, select

from app.classroom.kinds import KIND_NAMES
from app.classroom.models import ClassroomEvent
from app.core.db import set_tenant
from tests.classroom.conftest import (
    CLASSMATE,
    NORTH_ADMIN,
    OTHER_TEACHER,
    SOUTH_ADMIN,
    SOUTH_STUDENT,
    STUDENT,
    TEACHER,
    World,
    bearer,
    event,
    send,
)

# One valid set of kind-specific fields per kind (kinds without fields: none).
FIELDS: dict[str, dict[str, Any]] = {
    "lesson.stage_count": {"count": 3},
    "attendance.left": {"reason": "network_lost"},
    "behaviour.spoke": {"duration_ms": 1500},
    "behaviour.rewarded": {"count": 2},
    "tool.buzzer": {"result": "first"},
    "tool.answerer": {"question": "q1", "choice": "B", "correct": True},
    "tool.timer": {"seconds": 30},
    "tool.screen_share": {"state": "on"},
    "courseware.opened": {"courseware": "cw-1"},
    "courseware.page": {"courseware": "cw-1", "page": 4},
    "diagnostics.sample": {
        "ip": "203.0.113.77",
        "latency_ms": 42.5,
        "packet_loss": 0.01,
        "os": "Windows 11",
        "device_type": "desktop",
        "cpu": "i5",
        "client_version": "5.2.1",
        "device_id": "dev-1",
        "user_gateway": "gw-u",
        "access_gateway": "gw-a",
        "camera": "cam",
        "microphone": "mic",
        "speaker": "spk",
    },
}
TEACHER_KINDS = {"teacher.muted", "teacher.rewarded", "teacher.hand_handled", "teacher.authorized"}


async def _count(owner, tenant) -> int:
    async with owner.db.session() as session:
        await set_tenant(session, tenant.id)
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(ClassroomEvent)
                    .where(ClassroomEvent.tenant_id == tenant.id)
                )
            ).scalar_one()
        )


def _every_kind(world: World) -> list[dict[str, Any]]:
    events = []
    for n, kind in enumerate(KIND_NAMES):
        who = TEACHER if kind in TEACHER_KINDS or kind.startswith("courseware") else STUDENT
        fields = dict(FIELDS.get(kind, {}))
        if kind == "teacher.muted":
            fields["target"] = world.user(STUDENT)
        events.append(event(world, kind, n, who=who, cid=f"all-{kind}", **fields))
    return events


async def test_every_kind_is_accepted_and_read_back(client, login, owner, world):
    sent = _every_kind(world)
    response = await send(client, world.key, sent)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": len(KIND_NAMES), "duplicates": 0, "dropped": 0}

    admin = await login(NORTH_ADMIN)
    seen: dict[str, dict[str, Any]] = {}
    for purpose in ("teaching_management", "teaching_quality", "technical_support"):
        url = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
        page = await client.get(url, params={"purpose": purpose, "limit": 500}, headers=admin)
        assert page.status_code == 200, page.text
        for item in page.json()["items"]:
            seen[item["client_id"]] = item
    assert set(seen) == {e["id"] for e in sent}
    for original in sent:
        item = seen[original["id"]]
        assert item["kind"] == original["kind"]
        assert item["user"] == original["user"]
        expected = {k: v for k, v in original.items() if k not in {"id", "lesson", "user", "at"}}
        expected.pop("kind")
        expected.pop("ip", None)
        assert item["data"] == expected
    diag = seen["all-diagnostics.sample"]
    assert diag["ip_prefix"] == "203.0.113.0/24"
    assert "203.0.113.77" not in orjson.dumps(diag).decode()


async def test_purposes_choose_the_record_kinds(client, login, world):
    await send(client, world.key, _every_kind(world))
    admin = await login(NORTH_ADMIN)
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/events"
    kinds_of = {}
    for purpose in ("teaching_management", "teaching_quality", "technical_support"):
        page = await client.get(url, params={"purpose": purpose, "limit": 500}, headers=admin)
        kinds_of[purpose] = {i["record_kind"] for i in page.json()["items"]}
    assert kinds_of["teaching_management"] == {"attendance", "behaviour", "tool_use"}
    assert kinds_of["teaching_quality"] == {"teacher_action", "courseware_use"}
    assert kinds_of["technical_support"] == {"diagnostics"}
    default = await client.get(url, params={"limit": 500}, headers=admin)
    assert {i["record_kind"] for i in default.json()["items"]} == kinds_of["teaching_management"]


async def test_gzip_and_ndjson_bodies(client, owner, world):
    events = [event(world, "attendance.joined", 1), event(world, "behaviour.hand_raised", 2)]
    body = gzip.compress(orjson.dumps({"events": events[:1]}))
    response = await client.post(
        "/v1/ingest/events",
        content=body,
        headers={
            **bearer(world.key),
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 202, response.text
    ndjson = b"\n".join(orjson.dumps(e) for e in events)
    response = await client.post(
        "/v1/ingest/events",
        content=ndjson,
        headers={**bearer(world.key), "Content-Type": "application/x-ndjson"},
    )
    assert response.json() == {"accepted": 1, "duplicates": 1, "dropped": 0}
    assert await _count(owner, world.north) == 2


async def test_unsupported_body_type_is_415(client, world):
    response = await client.post(
        "/v1/ingest/events", content=b"x", headers={**bearer(world.key), "Content-Type": "text/csv"}
    )
    assert response.status_code == 415


async def test_duplicate_batch_counts_duplicates_and_stores_once(client, owner, world):
    events = [event(world, "attendance.joined", i) for i in range(5)]
    first = await send(client, world.key, events)
    assert first.json() == {"accepted": 5, "duplicates": 0, "dropped": 0}
    again = await send(
        client, world.key, [*events, event(world, "attendance.left", 9, reason="left")]
    )
    assert again.json() == {"accepted": 1, "duplicates": 5, "dropped": 0}
    assert await _count(owner, world.north) == 6


async def test_an_id_repeated_inside_a_batch_is_a_duplicate(client, login, world):
    twice = event(world, "behaviour.hand_raised", 1, cid="same")
    response = await send(client, world.key, [twice, dict(twice)])
    assert response.json() == {"accepted": 1, "duplicates": 1, "dropped": 0}
    admin = await login(NORTH_ADMIN)
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/rollups"
    (rollup,) = (await client.get(url, headers=admin)).json()["items"]
    assert rollup["hand_raises"] == 1


async def test_one_bad_event_rejects_the_whole_batch(client, owner, world):
    events = [event(world, "attendance.joined", i) for i in range(10)]
    events[7]["kind"] = "behaviour.dance"
    response = await send(client, world.key, events)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"] == [
        {
            "index": 7,
            "field": "kind",
            "reason": "Unknown event kind: 'behaviour.dance'",
            "message": "Unknown event kind: 'behaviour.dance'",
        }
    ]
    assert await _count(owner, world.north) == 0


async def test_every_validation_rule_names_index_and_field(client, owner, world):
    good = event(world, "attendance.joined")
    cases: list[tuple[dict[str, Any], str]] = [
        ({k: v for k, v in good.items() if k != "id"}, "id"),
        ({**good, "id": ""}, "id"),
        ({**good, "id": "x" * 129}, "id"),
        ({k: v for k, v in good.items() if k != "lesson"}, "lesson"),
        ({**good, "lesson": str(uuid.uuid4())}, "lesson"),  # unknown lesson
        ({**good, "lesson": "not-a-uuid"}, "lesson"),
        ({k: v for k, v in good.items() if k != "user"}, "user"),  # neither user nor phone
        ({**good, "phone": "+8613800000201"}, "user"),  # both
        ({**good, "user": "not-an-id"}, "user"),
        ({**good, "user": str(uuid.uuid4())}, "user"),  # not on the roster
        ({**good, "user": world.user(SOUTH_STUDENT)}, "user"),  # another school's person
        ({k: v for k, v in good.items() if k != "user"} | {"phone": "12345"}, "phone"),
        ({k: v for k, v in good.items() if k != "user"} | {"phone": "+8613700009999"}, "phone"),
        ({k: v for k, v in good.items() if k != "at"}, "at"),
        ({**good, "at": "2026-11-20T10:00:00"}, "at"),  # no zone
        ({**good, "at": "yesterday"}, "at"),
        ({k: v for k, v in good.items() if k != "kind"}, "kind"),
        ({**good, "kind": "attendance.teleported"}, "kind"),
        ({**good, "kind": "attendance.left"}, "reason"),  # required field missing
        ({**good, "kind": "attendance.left", "reason": "bored"}, "reason"),
        ({**good, "kind": "behaviour.spoke", "duration_ms": -1}, "duration_ms"),
        ({**good, "kind": "behaviour.rewarded", "count": 0}, "count"),
        ({**good, "kind": "tool.answerer", "question": "q", "choice": "A"}, "correct"),
        ({**good, "kind": "courseware.page", "courseware": "c", "page": 0}, "page"),
        ({**good, "kind": "diagnostics.sample"}, "event"),  # no measurement at all
        ({**good, "kind": "diagnostics.sample", "ip": "999.1.1.1"}, "ip"),
        ({**good, "kind": "diagnostics.sample", "packet_loss": 2}, "packet_loss"),
        ({**good, "unexpected": 1}, "unexpected"),
        ({**good, "kind": "teacher.muted", "target": str(uuid.uuid4())}, "target"),
        ({**good, "lesson": str(world.other_lesson), "user": world.user(CLASSMATE)}, "user"),
    ]
    for n, (bad, field) in enumerate(cases):
        bad = {**bad, "id": bad["id"]} if "id" in bad else bad
        if "id" in bad and bad["id"] == good["id"]:
            bad["id"] = f"case-{n}"
        response = await send(client, world.key, [event(world, "attendance.joined"), bad])
        assert response.status_code == 422, (field, response.text)
        errors = response.json()["errors"]
        assert any(e["index"] == 1 and e["field"] == field for e in errors), (field, errors)
    assert await _count(owner, world.north) == 0


async def test_phone_participants_and_the_teacher_are_on_the_roster(client, owner, world):
    by_phone = event(world, "attendance.joined", 1)
    by_phone.pop("user")
    by_phone["phone"] = "138 0000 0202"  # the classmate, national format
    teacher = event(world, "lesson.started", 0, who=TEACHER)
    response = await send(client, world.key, [by_phone, teacher])
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 2


async def test_key_of_one_school_cannot_write_into_another(client, owner, world):
    into_south = event(world, "attendance.joined", lesson=world.south_lesson, who=STUDENT)
    into_south["user"] = world.user(SOUTH_STUDENT)
    response = await send(client, world.key, [into_south])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lesson"
    assert await _count(owner, world.south) == 0


async def test_wrong_missing_and_revoked_keys_are_401(client, login, world):
    batch = [event(world, "attendance.joined")]
    assert (await send(client, "rk_nonsense", batch)).status_code == 401
    assert (await send(client, world.key + "x", batch)).status_code == 401
    response = await client.post("/v1/ingest/events", json={"events": batch})
    assert response.status_code == 401
    admin = await login(NORTH_ADMIN)
    keys = await client.get("/v1/tenants/demo-north/api-keys", headers=admin)
    assert keys.status_code == 200
    (listed,) = keys.json()["items"]
    assert "key" not in listed and listed["last_used_at"] is None
    assert (await send(client, world.key, batch)).status_code == 202
    keys = await client.get("/v1/tenants/demo-north/api-keys", headers=admin)
    assert keys.json()["items"][0]["last_used_at"] is not None
    revoked = await client.delete(f"/v1/tenants/demo-north/api-keys/{listed['id']}", headers=admin)
    assert revoked.status_code == 204
    assert (await send(client, world.key, batch)).status_code == 401


async def test_api_keys_are_for_school_admins_of_that_school(client, login, world):
    teacher = await login(TEACHER)
    refused = await client.post(
        "/v1/tenants/demo-north/api-keys", json={"name": "x"}, headers=teacher
    )
    assert refused.status_code == 403
    south_admin = await login("+8613900000001")
    other = await client.get("/v1/tenants/demo-north/api-keys", headers=south_admin)
    assert other.status_code == 404
    admin = await login(NORTH_ADMIN)
    keys = await client.get("/v1/tenants/demo-north/api-keys", headers=admin)
    key_id = keys.json()["items"][0]["id"]
    cross = await client.delete(f"/v1/tenants/demo-south/api-keys/{key_id}", headers=south_admin)
    assert cross.status_code == 404


async def test_withdrawn_consent_drops_that_category_only(client, login, owner, world):
    """GEN-3, GEN-4."""
    student = await login(STUDENT)
    withdrawn = await client.post(
        "/v1/me/consents/camera/withdraw?school=demo-north", headers=student
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["items"][0]["granted"] is False
    state = await client.get("/v1/me/consents?school=demo-north", headers=student)
    assert {c["category"]: c["granted"] for c in state.json()["items"]}["camera"] is False
    batch = [
        event(world, "behaviour.camera_on", 1),
        event(world, "behaviour.camera_off", 2),
        event(world, "behaviour.mic_on", 3),
        event(world, "behaviour.camera_on", 4, who=CLASSMATE),
    ]
    response = await send(client, world.key, batch)
    assert response.json() == {"accepted": 2, "duplicates": 0, "dropped": 2}
    restored = await client.post("/v1/me/consents/camera/grant?school=demo-north", headers=student)
    assert restored.status_code == 200 and restored.json()["items"][0]["granted"] is True
    later = await send(client, world.key, [event(world, "behaviour.camera_on", 5)])
    assert later.json() == {"accepted": 1, "duplicates": 0, "dropped": 0}
    assert await _count(owner, world.north) == 3


async def test_consent_endpoints_need_membership_and_a_known_category(client, login, world):
    south_student = await login(SOUTH_STUDENT)
    elsewhere = await client.post(
        "/v1/me/consents/camera/withdraw?school=demo-north", headers=south_student
    )
    assert elsewhere.status_code == 404
    student = await login(STUDENT)
    unknown = await client.post(
        "/v1/me/consents/contacts/withdraw?school=demo-north", headers=student
    )
    assert unknown.status_code == 422
    _ = OTHER_TEACHER


async def test_a_client_id_another_school_used_is_stored_for_this_school(
    client, login, owner, world
):
    """The idempotency key is (school, client id): B's event is not A's duplicate (CLS-8)."""
    north = event(world, "attendance.joined", 1, cid="classroom-42")
    assert (await send(client, world.key, [north])).json()["accepted"] == 1
    south = event(world, "attendance.joined", 2, lesson=world.south_lesson, cid="classroom-42")
    south["user"] = world.user(SOUTH_STUDENT)
    response = await send(client, world.south_key, [south])
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "dropped": 0}
    assert await _count(owner, world.south) == 1 and await _count(owner, world.north) == 1
    admin = await login(SOUTH_ADMIN)
    url = f"/v1/tenants/demo-south/lessons/{world.south_lesson}/events"
    (stored,) = (await client.get(url, headers=admin)).json()["items"]
    assert stored["client_id"] == "classroom-42"
    assert stored["user"] == world.user(SOUTH_STUDENT)
    again = await send(client, world.south_key, [south])
    assert again.json() == {"accepted": 0, "duplicates": 1, "dropped": 0}
