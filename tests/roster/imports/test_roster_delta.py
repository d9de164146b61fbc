"""Delta files (#14): a changed user is updated whether or not roles.csv carries them, and a
demographics.csv row for a user the school knows applies (their age band)."""

from __future__ import annotations

import io
import zipfile

from tests.roster.helpers import NORTH, NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import counts, school_zip, upload


def _delta(**files: str) -> bytes:
    manifest = "propertyName,value\noneroster.version,1.2\n"
    manifest += "".join(f"file.{name},delta\n" for name in files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest)
        for name, text in files.items():
            archive.writestr(f"{name}.csv", text)
    return buffer.getvalue()


RENAMED = _delta(
    users="sourcedId,status,givenName,familyName,sms\nu-aide,,Anne,Smith-Jones,13800001002\n"
)
TEEN_IS_ADULT = _delta(demographics="sourcedId,status,birthDate\nu-teen,,2000-01-01\n")
TEEN_IS_A_CHILD = _delta(demographics="sourcedId,status,birthDate\nu-teen,,2020-01-01\n")


async def _member(client, admin, phone_tail: str) -> dict:
    members = (await client.get(f"{NORTH}/members?limit=50", headers=admin)).json()["items"]
    [member] = [m for m in members if m["phone_masked"].endswith(phone_tail)]
    return member


async def test_a_changed_user_without_a_roles_row_is_updated(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    r = await upload(client, admin, RENAMED)
    assert r.status_code == 200, r.text
    assert r.json()["people"] == {"created": 0, "updated": 1, "unchanged": 0, "deactivated": 0}
    member = await _member(client, admin, "1002")
    assert (member["display_name"], member["role"]) == ("Anne Smith-Jones", "assistant")


async def test_demographics_of_a_known_user_apply(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, school_zip())).status_code == 200
    assert (await _member(client, admin, "1004"))["age_band"] == "14to17"
    r = await upload(client, admin, TEEN_IS_ADULT)
    assert r.status_code == 200, r.text
    assert r.json()["people"]["updated"] == 1
    assert (await _member(client, admin, "1004"))["age_band"] == "adult"
    # Made under 14 by a birth date alone, without a guardian: a row error, nothing written.
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, TEEN_IS_A_CHILD)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["file"], error["line"], error["column"]) == ("demographics.csv", 2, "birthDate")
    assert await counts(owner, schools["demo-north"]) == before
    assert (await _member(client, admin, "1004"))["age_band"] == "adult"


async def test_cli_applies_a_delta(settings, schools, login, client, tmp_path):
    roster, delta = tmp_path / "roster.zip", tmp_path / "delta.zip"
    roster.write_bytes(school_zip())
    delta.write_bytes(RENAMED)
    assert _rostra(settings, "import", "demo-north", str(roster)).returncode == 0
    done = _rostra(settings, "import", "demo-north", str(delta))
    assert done.returncode == 0, done.stderr
    admin = await login(NORTH_ADMIN)
    assert (await _member(client, admin, "1002"))["display_name"] == "Anne Smith-Jones"
