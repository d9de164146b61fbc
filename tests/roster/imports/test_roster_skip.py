"""`on_error=skip` (#14): every valid row is written, each skipped row is reported with
(file, line, column, message), and the rows that depend on a skipped row (its enrolments,
its guardian links) are skipped with it. The default stays all-or-nothing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

from tests.roster.helpers import NORTH, NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import COURSES, PEOPLE, counts, school_zip, upload

# users.csv lines: 2 u-teacher, 3 u-aide, 4 u-kid (under 14), 5 u-teen, 6 u-parent;
# classes.csv: 2 class-1, 3 class-2; enrollments.csv: 2..5 e-1..e-4 (e-3 u-kid, e-4 class-2).
BAD_PARENT = replace(PEOPLE[4], phone="not a phone")
BAD_CLASS = replace(COURSES[1], name="")


def bad_zip() -> bytes:
    return school_zip(people=[*PEOPLE[:4], BAD_PARENT], courses=[COURSES[0], BAD_CLASS])


SKIPPED = [
    ("classes.csv", 3, "title", "title is empty"),
    ("enrollments.csv", 4, "userSourcedId", "skipped with 'u-kid', which is in error"),
    ("enrollments.csv", 5, "classSourcedId", "skipped with 'class-2', which is in error"),
    ("users.csv", 4, "agentSourcedIds", "a student under 14 needs a guardian (agentSourcedIds)"),
    (
        "users.csv",
        4,
        "agentSourcedIds",
        "the link to guardian 'u-parent' is skipped: that row is in error",
    ),
    ("users.csv", 6, "sms", "'not a phone' is not a phone number"),
]


def _skipped(plan) -> list[tuple[str, int, str | None, str]]:
    return sorted((s["file"], s["line"], s["column"], s["message"]) for s in plan["skipped"])


async def test_default_writes_nothing_and_skip_writes_the_valid_rows(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    before = await counts(owner, schools["demo-north"])
    refused = await upload(client, admin, bad_zip())
    assert refused.status_code == 422, refused.text
    assert await counts(owner, schools["demo-north"]) == before

    dry = await upload(client, admin, bad_zip(), on_error="skip", dry_run="true")
    assert dry.status_code == 200, dry.text
    assert _skipped(dry.json()) == sorted(SKIPPED)
    assert await counts(owner, schools["demo-north"]) == before

    r = await upload(client, admin, bad_zip(), on_error="skip")
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["on_error"] == "skip" and _skipped(plan) == sorted(SKIPPED)
    assert plan["people"]["created"] == 3 and plan["courses"]["created"] == 1
    assert plan["enrollments"]["created"] == 2 and plan["guardianships"]["created"] == 0
    members = (await client.get(f"{NORTH}/members?limit=50", headers=admin)).json()["items"]
    phones = sorted(m["phone_masked"] for m in members if m["role"] != "school_admin")
    assert phones == ["+86 138****1001", "+86 138****1002", "+86 138****1004"]
    courses = (await client.get(f"{NORTH}/courses", headers=admin)).json()["items"]
    assert [c["code"] for c in courses] == ["MATH-7A"]

    again = (await upload(client, admin, bad_zip(), on_error="skip")).json()
    assert again["people"]["created"] == 0 and again["people"]["unchanged"] == 3
    assert again["enrollments"]["unchanged"] == 2 and _skipped(again) == sorted(SKIPPED)


async def test_a_skipped_row_is_never_retired_as_missing(client, schools, login):
    """The parent and class-2 are in the bulk file, in error: they stay as they were."""
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    r = await upload(client, admin, bad_zip(), on_error="skip")
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["people"]["deactivated"] == 0 and plan["courses"]["deactivated"] == 0
    assert plan["enrollments"]["deactivated"] == 0 and plan["retiring"] == {}
    members = (await client.get(f"{NORTH}/members?limit=50", headers=admin)).json()["items"]
    assert {m["status"] for m in members} == {"pending", "active"}


async def test_an_error_of_a_whole_file_still_writes_nothing(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    source, cut = zipfile.ZipFile(io.BytesIO(school_zip())), io.BytesIO()
    with zipfile.ZipFile(cut, "w") as archive:
        for name in source.namelist():
            if name != "users.csv":  # a bulk roster without its users
                archive.writestr(name, source.read(name))
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, cut.getvalue(), on_error="skip")
    assert r.status_code == 422, r.text
    assert ("users.csv", 1) in {(e["file"], e["line"]) for e in r.json()["errors"]}
    assert await counts(owner, schools["demo-north"]) == before


async def test_on_error_is_validated(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, school_zip(), on_error="maybe")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "on_error" in r.text


async def test_cli_on_error_skip(settings, schools, owner, tmp_path):
    roster = tmp_path / "roster.zip"
    roster.write_bytes(bad_zip())
    refused = _rostra(settings, "import", "demo-north", str(roster))
    assert refused.returncode == 1 and "nothing was written" in refused.stderr
    done = _rostra(settings, "import", "demo-north", str(roster), "--on-error", "skip")
    assert done.returncode == 0, done.stderr
    assert "skipped users.csv:6: sms: 'not a phone' is not a phone number" in done.stdout
    assert "skipped enrollments.csv:4: userSourcedId:" in done.stdout
    assert (await counts(owner, schools["demo-north"]))["Enrollment"] == 2
