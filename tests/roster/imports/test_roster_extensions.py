"""OneRoster `metadata.*` extension columns (#14): accepted in every file a roster holds,
kept, and given back in the export under the same names with the same values; a
demographics row without a birthDate is kept too. Export -> import into an empty school ->
export gives the same files."""

from __future__ import annotations

import io
import zipfile

from app.core import csvout
from tests.roster.helpers import NORTH, NORTH_ADMIN, SOUTH, SOUTH_ADMIN
from tests.roster.imports.test_roster_import import upload
from tests.roster.imports.test_roster_lossless_export import FILES, by_id, tables

# Per file: (extension column, {sourcedId: value}); a row not named gets an empty cell.
EXTENSIONS = {
    "orgs.csv": ("metadata.district.region", {"org-9": "North Ward"}),
    "academicSessions.csv": ("metadata.sis.termCode", {"sem-1": "T1", "sem-2": "T2"}),
    "courses.csv": ("metadata.sis.courseLevel", {"crs-math": "core"}),
    "classes.csv": ("metadata.lms.sectionId", {"cls-7a": "=SEC 7A"}),
    "users.csv": ("metadata.sis.houseColour", {"usr-t": "green", "usr-k": "blue, red"}),
    "roles.csv": ("metadata.sis.contract", {"rl-t": "permanent"}),
    "enrollments.csv": ("metadata.lms.seat", {"en-k": "12"}),
    "demographics.csv": ("metadata.sis.lunch", {"usr-k": "free", "usr-a": "paid"}),
}


def _with_extensions() -> dict[str, str]:
    """The lossless test's files with one extension column each, and a demographics row
    without a birthDate (usr-a)."""
    files = dict(FILES)
    files["demographics.csv"] += "usr-a,,,,male\n"
    for name, (column, values) in EXTENSIONS.items():
        header, *lines = files[name].splitlines()
        out = [f"{header},{column}"]
        for line in lines:
            value = values.get(line.split(",", 1)[0], "")
            out.append(f'{line},"{value}"' if "," in value else f"{line},{value}")
        files[name] = "\n".join(out) + "\n"
    return files


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


async def _export(client, base, headers) -> bytes:
    r = await client.get(f"{base}/roster/export", headers=headers)
    assert r.status_code == 200, r.text
    return r.content


def _header(data: bytes, name: str) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8").splitlines()[0].split(",")


async def test_extension_columns_of_every_file_come_back(client, schools, login):
    admin = await login(NORTH_ADMIN)
    source = _zip(_with_extensions())
    r = await upload(client, admin, source)
    assert r.status_code == 200, r.text
    exported = await _export(client, NORTH, admin)
    out = tables(exported)
    for name, (column, values) in EXTENSIONS.items():
        assert _header(exported, name)[-1] == column, name  # after the standard's columns
        cells = {sid: row[column] for sid, row in by_id(out[name]).items() if row[column]}
        # As a spreadsheet-safe cell (a leading ' before =), which the import reads back.
        assert {sid: csvout.restore(cell) for sid, cell in cells.items()} == values, name
    assert by_id(out["classes.csv"])["cls-7a"]["metadata.lms.sectionId"] == "'=SEC 7A"
    # The org's identifier comes back with it.
    assert by_id(out["orgs.csv"])["org-9"]["identifier"] == "NS9"

    again = (await upload(client, admin, source)).json()
    assert again["people"]["updated"] == 0 and again["enrollments"]["updated"] == 0
    assert again["courses"]["updated"] == 0


async def test_a_demographics_row_without_birth_date_is_kept(client, schools, login):
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, _zip(_with_extensions()))).status_code == 200
    demographics = by_id(tables(await _export(client, NORTH, admin))["demographics.csv"])
    assert demographics["usr-a"]["birthDate"] == ""
    assert (demographics["usr-a"]["sex"], demographics["usr-a"]["metadata.sis.lunch"]) == (
        "male",
        "paid",
    )
    assert (demographics["usr-k"]["birthDate"], demographics["usr-k"]["sex"]) == (
        "2015-03-01",
        "female",
    )
    assert "usr-t" not in demographics  # no row in the file, none in the export


async def test_round_trip_with_extensions_gives_the_same_files(client, schools, login):
    north, south = await login(NORTH_ADMIN), await login(SOUTH_ADMIN)
    assert (await upload(client, north, _zip(_with_extensions()))).status_code == 200
    first = await _export(client, NORTH, north)
    moved = await upload(client, south, first, slug="demo-south")
    assert moved.status_code == 200, moved.text
    second = await _export(client, SOUTH, south)
    assert tables(second) == tables(first)
    for name in EXTENSIONS:
        assert _header(second, name) == _header(first, name), name
