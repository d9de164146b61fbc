"""A roster zip is read within limits (#11, zip bomb): only the files the format names are
unpacked, in chunks, up to `roster_max_unpacked_bytes` together; a zip with more than
`roster_max_entries` entries is refused before anything is unpacked."""

from __future__ import annotations

import functools
import io
import tracemalloc
import zipfile

import pytest

from tests.conftest import make_settings
from tests.roster.helpers import NORTH_ADMIN
from tests.roster.imports.test_roster_cli import _rostra
from tests.roster.imports.test_roster_import import counts, school_zip, upload

MAX_UNPACKED = 4 * 2**20
MAX_ENTRIES = 40
PADDING = 32 * 2**20  # each extra entry unpacks to 32 MiB of zeros


@pytest.fixture
def settings(database, tmp_path):
    return make_settings(
        database, tmp_path, roster_max_unpacked_bytes=MAX_UNPACKED, roster_max_entries=MAX_ENTRIES
    )


def _with_entries(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(school_zip())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            if name not in entries:
                target.writestr(name, source.read(name))
        for name, content in entries.items():
            target.writestr(name, content)
    return buffer.getvalue()


@functools.cache
def _padded_zip() -> bytes:
    """The school's roster and eight entries of zeros: about 0.3 MB packed, 256 MiB unpacked."""
    zeros = bytes(PADDING)
    return _with_entries({f"padding/extra-{n}.bin": zeros for n in range(1, 9)})


async def test_extra_entries_are_never_unpacked(client, schools, login):
    admin = await login(NORTH_ADMIN)
    data = _padded_zip()
    assert len(data) < 2 * 2**20
    tracemalloc.start()
    try:
        r = await upload(client, admin, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 200, r.text
    assert r.json()["people"]["created"] == 5
    assert "ignored file 'extra-1.bin'" in r.json()["notices"]
    assert peak < PADDING // 2  # not one extra entry was held in memory


async def test_a_roster_file_past_the_unpacked_limit_is_413(client, schools, login, owner):
    admin = await login(NORTH_ADMIN)
    with zipfile.ZipFile(io.BytesIO(school_zip())) as source:
        users = source.read("users.csv")
    bomb = _with_entries({"users.csv": users + b" " * (PADDING // 4)})
    before = await counts(owner, schools["demo-north"])
    r = await upload(client, admin, bomb)
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["limit"] == "roster_max_unpacked_bytes" and body["max"] == MAX_UNPACKED
    assert "roster_max_unpacked_bytes" in body["detail"] and "4 MiB" in body["detail"]
    assert await counts(owner, schools["demo-north"]) == before


def _too_many_entries() -> bytes:
    return _with_entries({f"notes/note-{n}.txt": b"x" for n in range(MAX_ENTRIES)})


async def test_a_zip_with_too_many_entries_is_422(client, schools, login):
    admin = await login(NORTH_ADMIN)
    r = await upload(client, admin, _too_many_entries(), dry_run="true")
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["limit"] == "roster_max_entries" and body["max"] == MAX_ENTRIES
    assert f"at most {MAX_ENTRIES}" in body["detail"]


async def test_cli_names_the_limit(settings, schools, owner, tmp_path, monkeypatch):
    monkeypatch.setenv("ROSTRA_ROSTER_MAX_ENTRIES", str(MAX_ENTRIES))
    roster = tmp_path / "roster.zip"
    roster.write_bytes(_too_many_entries())
    done = _rostra(settings, "import", "demo-north", str(roster))
    assert done.returncode == 1, done.stdout
    assert "roster_max_entries" in done.stderr and "nothing was written" in done.stderr
    assert (await counts(owner, schools["demo-north"]))["Membership"] == 1  # the admin only
