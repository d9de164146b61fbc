"""The plan names everything before anything is written, retirements included, and a second
import of the same file changes nothing (#14)."""

from __future__ import annotations

from tests.roster.helpers import NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import (
    ENROLLMENTS,
    PEOPLE,
    counts,
    school_zip,
    upload,
)

WITHOUT_TEEN = school_zip(people=PEOPLE[:3] + PEOPLE[4:], enrollments=ENROLLMENTS[:3])


async def test_the_dry_run_names_what_it_retires(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, WITHOUT_TEEN, dry_run="true")
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["retiring"] == {
        "people": ["u-teen: student, not in the school's roster file"],
        "enrollments": ["e-4: not in the bulk file"],
    }
    assert any("'org-1'" in n and "retires" in n for n in plan["notices"])
    assert await counts(owner, schools["demo-north"]) == before
    done = await upload(client, admin, WITHOUT_TEEN)
    assert done.json()["retiring"] == plan["retiring"]
    after = await counts(owner, schools["demo-north"])
    again = (await upload(client, admin, WITHOUT_TEEN)).json()
    assert again["retiring"] == {}
    assert again["people"] == {"created": 0, "updated": 0, "unchanged": 4, "deactivated": 0}
    assert again["enrollments"]["unchanged"] == 3 and again["courses"]["unchanged"] == 2
    assert await counts(owner, schools["demo-north"]) == after


async def test_cli_dry_run_names_retirements(settings, schools, tmp_path):
    full, partial = tmp_path / "full.zip", tmp_path / "partial.zip"
    full.write_bytes(school_zip())
    partial.write_bytes(WITHOUT_TEEN)
    assert _rostra(settings, "import", "demo-north", str(full)).returncode == 0
    dry = _rostra(settings, "import", "demo-north", str(partial), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '"retiring"' in dry.stdout and "u-teen: student" in dry.stdout
