"""The OneRoster 1.2 rostering collections, single records and nested paths (read)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from app.authz.models import AuditEntry, AuditSubject
from tests.oneroster.helpers import (
    BASE,
    NORTH_ADMIN,
    ROSTER,
    SOUTH_ADMIN,
    new_client,
    roster_world,
    status_info,
    token,
)
from tests.roster.helpers import SOUTH, course

COMMON = {"sourcedId", "status", "dateLastModified"}


def names(body, key="users"):
    return sorted(u["givenName"] for u in body[key])


async def test_collections_answer_in_the_standards_shapes(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    users = (await client.get(f"{BASE}/users", headers=auth)).json()
    assert {"Ada Teacher", "Ben Student", "Cy Teacher", "Dee Student"} <= set(names(users))
    for user in users["users"]:
        assert set(user) >= COMMON and user["status"] == "active"
        assert user["dateLastModified"].endswith("Z") and user["roles"]
    ben = next(u for u in users["users"] if u["givenName"] == "Ben Student")
    assert [r["role"] for r in ben["roles"]] == ["student"]
    assert ben["roles"][0]["org"]["sourcedId"] == str(schools["demo-north"].id)
    students = (await client.get(f"{BASE}/students", headers=auth)).json()
    assert names(students) == ["Ben Student", "Dee Student"]
    teachers = (await client.get(f"{BASE}/teachers", headers=auth)).json()
    assert names(teachers) == ["Ada Teacher", "Cy Teacher"]
    classes = (await client.get(f"{BASE}/classes", headers=auth)).json()["classes"]
    assert sorted(c["classCode"] for c in classes) == ["A", "B"]
    assert classes[0]["terms"][0]["sourcedId"] == "2026 autumn"
    assert classes[0]["course"]["type"] == "course" and classes[0]["school"]["type"] == "org"
    courses = (await client.get(f"{BASE}/courses", headers=auth)).json()["courses"]
    assert sorted(c["courseCode"] for c in courses) == ["A", "B"]
    enrollments = (await client.get(f"{BASE}/enrollments", headers=auth)).json()["enrollments"]
    assert sorted(e["role"] for e in enrollments) == ["student", "student", "teacher", "teacher"]
    assert all(e["primary"] == (e["role"] == "teacher") for e in enrollments)
    orgs = (await client.get(f"{BASE}/orgs", headers=auth)).json()["orgs"]
    assert [(o["name"], o["type"]) for o in orgs] == [(schools["demo-north"].name, "school")]
    terms = (await client.get(f"{BASE}/academicSessions", headers=auth)).json()
    session = terms["academicSessions"][0]
    assert (session["type"], session["startDate"], session["schoolYear"]) == (
        "term",
        "2026-09-01",
        "2027",
    )


async def test_single_records_and_nested_paths(client, schools, login):
    world = await roster_world(client, login)
    auth = await token(client, await new_client(client, world["admin"]))
    a, b = world["classes"]["A"], world["classes"]["B"]
    one = (await client.get(f"{BASE}/classes/{a}", headers=auth)).json()
    assert one["class"]["classCode"] == "A"
    in_a = (await client.get(f"{BASE}/classes/{a}/students", headers=auth)).json()
    assert names(in_a) == ["Ben Student"]
    ben = in_a["users"][0]["sourcedId"]
    assert (await client.get(f"{BASE}/users/{ben}", headers=auth)).json()["user"]["givenName"] == (
        "Ben Student"
    )
    assert (await client.get(f"{BASE}/students/{ben}", headers=auth)).status_code == 200
    status_info(await client.get(f"{BASE}/teachers/{ben}", headers=auth), 404)
    teaching_b = (await client.get(f"{BASE}/classes/{b}/teachers", headers=auth)).json()
    assert names(teaching_b) == ["Cy Teacher"]
    of_ben = (await client.get(f"{BASE}/users/{ben}/classes", headers=auth)).json()["classes"]
    assert [c["sourcedId"] for c in of_ben] == [a]
    enrolled = (await client.get(f"{BASE}/classes/{a}/enrollments", headers=auth)).json()
    assert len(enrolled["enrollments"]) == 2
    north = schools["demo-north"].id
    of_school = (await client.get(f"{BASE}/schools/{north}/classes", headers=auth)).json()
    assert len(of_school["classes"]) == 2
    of_term = (await client.get(f"{BASE}/terms/2026 autumn/classes", headers=auth)).json()
    assert len(of_term["classes"]) == 2
    of_course = (await client.get(f"{BASE}/courses/{b}/classes", headers=auth)).json()
    assert [c["sourcedId"] for c in of_course["classes"]] == [b]
    status_info(await client.get(f"{BASE}/classes/not-an-id", headers=auth), 404)
    status_info(await client.get(f"{BASE}/classes/{a}/terms", headers=auth), 404)


async def test_another_schools_client_gets_nothing(client, schools, login):
    """A South client reads South's roster only: North's records answer 404 or nothing."""
    world = await roster_world(client, login)
    north_auth = await token(client, await new_client(client, world["admin"]))
    a = world["classes"]["A"]
    ben = (await client.get(f"{BASE}/classes/{a}/students", headers=north_auth)).json()
    ben_id = ben["users"][0]["sourcedId"]
    south_admin = await login(SOUTH_ADMIN)
    made = await client.post(f"{SOUTH}/courses", json=course("S"), headers=south_admin)
    assert made.status_code == 201
    south = await token(client, await new_client(client, south_admin, school=SOUTH))
    status_info(await client.get(f"{BASE}/users/{ben_id}", headers=south), 404)
    status_info(await client.get(f"{BASE}/classes/{a}", headers=south), 404)
    status_info(await client.get(f"{BASE}/classes/{a}/students", headers=south), 404)
    status_info(await client.get(f"{BASE}/users/{ben_id}/classes", headers=south), 404)
    north = schools["demo-north"].id
    status_info(await client.get(f"{BASE}/schools/{north}/classes", headers=south), 404)
    users = (await client.get(f"{BASE}/users", headers=south)).json()["users"]
    assert ben_id not in {u["sourcedId"] for u in users}
    classes = (await client.get(f"{BASE}/classes", headers=south)).json()["classes"]
    assert [c["classCode"] for c in classes] == ["S"]
    enrollments = (await client.get(f"{BASE}/enrollments", headers=south)).json()
    assert enrollments["enrollments"] == []


async def test_reads_are_audited_with_the_clients_purpose(client, schools, login, owner):
    """A read of people leaves an audit entry naming them, the client and its purpose."""
    world = await roster_world(client, login)
    registered = await new_client(
        client, world["admin"], scopes=(ROSTER,), purpose="learning_record"
    )
    auth = await token(client, registered)
    a = world["classes"]["A"]
    body = (await client.get(f"{BASE}/classes/{a}/students", headers=auth)).json()
    ben = body["users"][0]["sourcedId"]
    async with owner.db.session() as session:
        query = select(AuditEntry).where(col(AuditEntry.purpose) == "learning_record")
        entries = (await session.execute(query)).scalars().all()
        assert len(entries) == 1
        entry = entries[0]
        assert entry.detail["oneroster_client_id"] == registered["id"]
        assert entry.record_kind == "member" and entry.subject_count == 1
        subjects = select(AuditSubject.account_id).where(col(AuditSubject.entry_id) == entry.id)
        assert [str(s) for s in (await session.execute(subjects)).scalars()] == [ben]


async def test_no_or_bad_token_is_401_status_info(client, schools, login):
    status_info(await client.get(f"{BASE}/users"), 401)
    bad = {"Authorization": "Bearer nope"}
    status_info(await client.get(f"{BASE}/users", headers=bad), 401)
    person_token = await login(NORTH_ADMIN)  # a person's token is no client's token
    status_info(await client.get(f"{BASE}/users", headers=person_token), 401)
