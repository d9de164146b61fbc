"""Every CSV goes through app/core/csvout (#11): formula cells are neutralised on the way out
and read back unchanged by the import; `roster export` also writes `roster.csv`."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from app.roster.imports.rosterfile import parse_roster_file
from tests.roster.helpers import NORTH, NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import PEOPLE, _roster, school_zip, upload

NAMES = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-1", "'q"]
# The five people of the test school, named like an attacker would name them.
HOSTILE = [replace(p, display_name=n) for p, n in zip(PEOPLE, NAMES, strict=True)]


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_roster_csv_export_neutralises_formulas_and_imports_back_unchanged(
    client, schools, login
):
    """SEC-3, ROL-1: the hostile names are inert in the CSV and identical after a round trip."""
    north = await login(NORTH_ADMIN)
    assert (await upload(client, north, school_zip(people=HOSTILE))).status_code == 200
    exported = await client.get(f"{NORTH}/roster/export", params={"format": "csv"}, headers=north)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = _cells(exported.content.decode("utf-8"))
    assert {r["name"] for r in rows} == {"'" + n for n in NAMES}
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())

    # Read back into the same school: every person and enrolment is found unchanged.
    before = await _roster(client, NORTH, north)
    again = await upload(client, north, exported.content, format="csv")
    assert again.status_code == 200, again.text
    assert again.json()["people"] == {"created": 0, "updated": 0, "unchanged": 5, "deactivated": 0}
    assert again.json()["enrollments"]["created"] == 0
    assert await _roster(client, NORTH, north) == before
    assert {m[2] for m in before[1]} == set(NAMES)


async def test_oneroster_export_neutralises_formulas_and_reads_back_unchanged(
    client, schools, login
):
    north = await login(NORTH_ADMIN)
    await upload(client, north, school_zip(people=HOSTILE))
    exported = await client.get(f"{NORTH}/roster/export", headers=north)
    assert exported.status_code == 200
    roster = parse_roster_file(exported.content)
    assert not roster.errors
    assert {p.display_name for p in roster.people} == set(NAMES)


async def test_audit_export_csv_is_neutralised(client, schools, login):
    north = await login(NORTH_ADMIN)
    await upload(client, north, school_zip(people=HOSTILE))
    exported = await client.get(f"{NORTH}/audit/export", params={"format": "csv"}, headers=north)
    assert exported.status_code == 200
    rows = _cells(exported.text)
    assert rows and all(r["detail"].startswith("{") for r in rows)
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


async def test_cli_exports_roster_csv(settings, schools, client, login, tmp_path):
    north = await login(NORTH_ADMIN)
    await upload(client, north, school_zip(people=HOSTILE))
    target = tmp_path / "north.csv"
    done = _rostra(settings, "export", "demo-north", str(target), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert {r["name"] for r in _cells(target.read_text("utf-8"))} == {"'" + n for n in NAMES}
    back = _rostra(settings, "import", "demo-north", str(target), "--format", "csv", "--dry-run")
    assert back.returncode == 0, back.stderr
    assert '"unchanged": 5' in back.stdout
