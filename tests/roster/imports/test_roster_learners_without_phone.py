"""Learners without a phone of their own (#14; MIN-1, MIN-4, PRX-1/6): registered under a
guardian's number, each a person of their own (own id, name, records, consents) with no
login; the guardian signs in and acts for each child (`children` scope) and sees nothing of
another family's child; the school later adds the learner's own phone and the learner signs
in on the same account. Through the OneRoster file import and the members API."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.core import csvout
from app.roster.imports.rosterfile import EnrollmentRow, PersonRow
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN, consent, course
from tests.roster.imports.test_roster_import import school_zip, upload

MUM, DAD, TEACHER = "13800002001", "13800002002", "13800002010"
FAMILY = [
    PersonRow("u-mum", MUM, "Mum Chen", "guardian"),
    PersonRow("u-kid1", "", "Chen Yi", "student", date(2016, 5, 1), None, ["u-mum"]),
    # A family phone: the child's row carries the guardian's number.
    PersonRow("u-kid2", MUM, "Chen Er", "student", date(2017, 6, 1), None, ["u-mum"]),
    PersonRow("u-dad", DAD, "Dad Zhao", "guardian"),
    PersonRow("u-kid3", "", "Zhao San", "student", date(2016, 7, 1), None, ["u-dad"]),
    PersonRow("u-teacher", TEACHER, "Teacher Wu", "teacher"),
]
LESSONS = [
    EnrollmentRow("e-t", "class-1", "u-teacher", "teacher"),
    EnrollmentRow("e-1", "class-1", "u-kid1", "student"),
    EnrollmentRow("e-2", "class-1", "u-kid2", "student"),
    EnrollmentRow("e-3", "class-1", "u-kid3", "student"),
]


def family_zip(people=FAMILY) -> bytes:
    return school_zip(people=people, enrollments=LESSONS)


async def _members(client, headers, base=NORTH) -> dict[str, dict]:
    r = await client.get(f"{base}/members?limit=100", headers=headers)
    assert r.status_code == 200, r.text
    return {m["display_name"]: m for m in r.json()["items"]}


async def test_siblings_without_a_phone_under_one_guardian_from_the_file(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, family_zip())
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["created"] == 6 and plan["guardianships"]["created"] == 3
    assert any("share their guardian's phone" in notice for notice in plan["notices"])
    roster = await _members(client, admin)
    kids = [roster[name] for name in ("Chen Yi", "Chen Er", "Zhao San")]
    assert len({kid["account_id"] for kid in kids}) == 3  # three people of their own
    assert all(kid["phone_masked"] == "" for kid in kids)  # no login of their own

    mum = await login(MUM)
    seen = (await client.get(f"{NORTH}/enrollments", headers=mum)).json()["items"]
    assert sorted(e["display_name"] for e in seen) == ["Chen Er", "Chen Yi"]
    third = await client.get(f"{NORTH}/members/{roster['Zhao San']['id']}", headers=mum)
    assert third.status_code == 404
    for kid in ("Chen Yi", "Chen Er"):  # the guardian switches between the children
        one = await client.get(f"{NORTH}/members/{roster[kid]['id']}", headers=mum)
        assert one.status_code == 200 and one.json()["display_name"] == kid

    again = (await upload(client, admin, family_zip())).json()
    assert again["people"]["created"] == 0 and again["people"]["unchanged"] == 6
    assert again["guardianships"]["unchanged"] == 3

    # The round trip keeps them: no number, their guardian's link.
    south = await login(SOUTH_ADMIN)
    exported = await client.get(f"{NORTH}/roster/export", headers=admin)
    moved = await upload(client, south, exported.content, slug="demo-south")
    assert moved.status_code == 200, moved.text
    assert moved.json()["people"]["created"] == 6
    there = (await client.get(f"{SOUTH}/enrollments", headers=mum)).json()["items"]
    assert sorted(e["display_name"] for e in there) == ["Chen Er", "Chen Yi"]


async def test_a_phone_shared_by_two_adults_is_a_row_error_naming_both_rows(client, schools, login):
    admin = await login(NORTH_ADMIN)
    people = [*FAMILY[:5], PersonRow("u-teacher", DAD, "Teacher Wu", "teacher")]
    r = await upload(client, admin, family_zip(people))
    assert r.status_code == 422, r.text
    errors = [(e["file"], e["line"], e["column"], e["message"]) for e in r.json()["errors"]]
    assert ("users.csv", 7, "sms", f"phone {DAD} is already used on line 5") in errors
    # A student without a guardian cannot go without a phone either.
    alone = [*FAMILY[:4], PersonRow("u-kid3", "", "Zhao San", "student", date(2000, 1, 1))]
    r = await upload(client, admin, school_zip(people=[*alone, FAMILY[5]], enrollments=[]))
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(6, "sms")]


async def test_the_school_adds_the_learners_own_phone_and_nothing_moves(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, family_zip())).status_code == 200
    kid = (await _members(client, admin))["Chen Yi"]
    add = f"{NORTH}/members/{kid['id']}/phone"
    r = await client.post(add, json={"phone": "13800002031"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["phone_masked"] == "+86 138****2031"
    assert r.json()["account_id"] == kid["account_id"]
    assert (await client.post(add, json={"phone": "13800002031"}, headers=admin)).status_code == 200
    taken = await client.post(add, json={"phone": TEACHER}, headers=admin)
    assert taken.status_code == 409

    learner = await login("13800002031")
    me = (await client.get("/v1/me", headers=learner)).json()
    assert me["id"] == kid["account_id"]
    own = (await client.get(f"{NORTH}/enrollments", headers=learner)).json()["items"]
    assert [e["display_name"] for e in own] == ["Chen Yi"]
    mum = await login(MUM)
    still = await client.get(f"{NORTH}/members/{kid['id']}", headers=mum)
    assert still.status_code == 200  # still the guardian's child
    # Only the school adds it on this route (the guardian has their own, with a code).
    other = (await _members(client, admin))["Chen Er"]
    for who in (mum, await login(TEACHER)):
        r = await client.post(
            f"{NORTH}/members/{other['id']}/phone", json={"phone": "13800002032"}, headers=who
        )
        assert r.status_code in (403, 404)
    # Another school's admin: 404.
    south = await login(SOUTH_ADMIN)
    r = await client.post(
        f"{NORTH}/members/{other['id']}/phone", json={"phone": "13800002032"}, headers=south
    )
    assert r.status_code == 404


def _learner(name: str, guardian: str, **over):
    body = {
        "role": "student",
        "display_name": name,
        "age_band": "under14",
        "guardian_phone": guardian,
        "consent": consent("guardian"),
    }
    return body | over


async def test_registering_learners_under_a_guardian_through_the_api(client, schools, login):
    admin = await login(NORTH_ADMIN)
    url = f"{NORTH}/members"
    first = await client.post(url, json=_learner("Li Yi", MUM), headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["phone_masked"] == ""
    again = await client.post(url, json=_learner("Li Yi", MUM), headers=admin)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    sibling = await client.post(url, json=_learner("Li Er", MUM), headers=admin)
    assert sibling.status_code == 201
    assert sibling.json()["account_id"] != first.json()["account_id"]
    other = await client.post(url, json=_learner("Zhao Yi", DAD), headers=admin)
    assert other.status_code == 201

    mum = await login(MUM)
    for child in (first, sibling):
        r = await client.get(f"{NORTH}/members/{child.json()['id']}", headers=mum)
        assert r.status_code == 200, r.text
    r = await client.get(f"{NORTH}/members/{other.json()['id']}", headers=mum)
    assert r.status_code == 404

    nameless = await client.post(url, json=_learner("", MUM), headers=admin)
    assert nameless.status_code == 422 and "display_name" in nameless.text
    teacher = {"role": "teacher", "display_name": "T", "consent": consent()}
    r = await client.post(url, json=teacher, headers=admin)
    assert r.status_code == 422 and "phone" in r.text
    r = await client.post(url, json=_learner("Li San", MUM, guardian_phone=None), headers=admin)
    assert r.status_code == 422


async def test_the_classroom_service_refers_to_such_a_learner_by_person_id(client, schools, login):
    """No phone to name them by: events carry the learner's person (account) id; once the
    learner has a phone, an event naming it lands on the same person."""
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, family_zip())).status_code == 200
    course = (await client.get(f"{NORTH}/courses", headers=admin)).json()["items"][0]
    lesson = await client.post(
        f"{NORTH}/courses/{course['id']}/lessons",
        json={"title": "L1", "starts_at": "2026-11-20T10:00:00Z", "duration_minutes": 60},
        headers=admin,
    )
    assert lesson.status_code == 201, lesson.text
    key = await client.post(f"{NORTH}/api-keys", json={"name": "classroom"}, headers=admin)
    assert key.status_code == 201, key.text
    service = {"Authorization": f"Bearer {key.json()['key']}"}
    kid = (await _members(client, admin))["Chen Yi"]

    def joined(n: int, **who: str) -> dict[str, str]:
        at = f"2026-11-20T10:0{n}:00Z"
        body = {"id": f"ev-{n}", "lesson": lesson.json()["id"], "at": at}
        return body | {"kind": "attendance.joined"} | who

    sent = await client.post(
        "/v1/ingest/events", json={"events": [joined(1, user=kid["account_id"])]}, headers=service
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["accepted"] == 1
    added = await client.post(
        f"{NORTH}/members/{kid['id']}/phone", json={"phone": "13800002041"}, headers=admin
    )
    assert added.status_code == 200
    by_phone = await client.post(
        "/v1/ingest/events", json={"events": [joined(2, phone="13800002041")]}, headers=service
    )
    assert by_phone.status_code == 202, by_phone.text
    assert by_phone.json()["accepted"] == 1


async def test_a_later_file_gives_the_learner_their_own_phone(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, family_zip())).status_code == 200
    before = (await _members(client, admin))["Chen Yi"]
    grown = [FAMILY[0], PersonRow("u-kid1", "13800002051", "Chen Yi", "student",
             date(2016, 5, 1), None, ["u-mum"]), *FAMILY[2:]]  # fmt: skip
    r = await upload(client, admin, family_zip(grown))
    assert r.status_code == 200, r.text
    assert any("gets their own number" in notice for notice in r.json()["notices"])
    assert r.json()["people"]["created"] == 0
    learner = await login("13800002051")
    assert (await client.get("/v1/me", headers=learner)).json()["id"] == before["account_id"]
    again = (await upload(client, admin, family_zip(grown))).json()
    assert not any("gets their own number" in notice for notice in again["notices"])


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    return sorted(rows, key=lambda row: tuple(row.values()))


async def test_roster_csv_round_trip_keeps_learners_without_a_phone(client, schools, login):
    """roster.csv has no ids: such a learner's rows have no phone and name the guardian they
    are registered under (a further guardian on a row right after); the file imports into an
    empty school to the same people and links, and again into it changes nothing."""
    admin, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    both = PersonRow("u-kid1", "", "Chen Yi", "student", date(2016, 5, 1), None, ["u-mum", "u-dad"])
    assert (
        await upload(client, admin, family_zip([FAMILY[0], both, *FAMILY[2:]]))
    ).status_code == 200
    first = await client.get(f"{NORTH}/roster/export?format=csv", headers=admin)
    assert first.status_code == 200, first.text
    rows = _csv_rows(first.content)
    chen_yi = [row for row in rows if row["name"] == "Chen Yi"]
    assert {(row["phone"], csvout.restore(row["guardian_phone"])) for row in chen_yi} == {
        ("", "+8613800002001"),
        ("", "+8613800002002"),
    }

    # roster.csv names courses by code: the school has its courses before the people.
    made = await client.post(f"{SOUTH}/courses", json=course("MATH-7A"), headers=south)
    assert made.status_code == 201, made.text
    moved = await upload(client, south, first.content, slug="demo-south")
    assert moved.status_code == 200, moved.text
    assert moved.json()["people"]["created"] == 6
    assert moved.json()["guardianships"]["created"] == 4
    second = await client.get(f"{SOUTH}/roster/export?format=csv", headers=south)
    assert _csv_rows(second.content) == rows
    there = await _members(client, south, SOUTH)
    kids = [there[name] for name in ("Chen Yi", "Chen Er", "Zhao San")]
    assert len({kid["account_id"] for kid in kids}) == 3
    assert all(kid["phone_masked"] == "" for kid in kids)
    mum, dad = await login(MUM), await login(DAD)
    seen = (await client.get(f"{SOUTH}/enrollments", headers=mum)).json()["items"]
    assert sorted(e["display_name"] for e in seen) == ["Chen Er", "Chen Yi"]
    seen = (await client.get(f"{SOUTH}/enrollments", headers=dad)).json()["items"]
    assert sorted(e["display_name"] for e in seen) == ["Chen Yi", "Zhao San"]

    again = await upload(client, south, second.content, slug="demo-south")
    assert again.status_code == 200, again.text
    assert again.json()["people"]["created"] == 0 and again.json()["people"]["updated"] == 0
    assert again.json()["guardianships"]["created"] == 0
    assert again.json()["enrollments"]["created"] == 0
    assert len(await _members(client, south, SOUTH)) == len(there)
