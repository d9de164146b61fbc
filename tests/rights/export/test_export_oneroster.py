"""The person's access export holds what the school's OneRoster file said about them (#14,
RGT-1/RGT-2): sourcedId, username, identifier, email, middleName, grades, userIds, the
second phone (in plaintext only in their own copy), demographics and `metadata.*` columns;
a guardian's export for their child holds the child's; nobody else's appear."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from app.jobs.wiring import drain
from tests.rights.export.world import unzip
from tests.roster.helpers import NORTH_ADMIN
from tests.roster.imports.test_roster_extensions import _with_extensions, _zip
from tests.roster.imports.test_roster_import import upload

TEACHER = "13800003001"  # usr-t: teacher and parent, a second phone, metadata
AIDE = "13800003002"  # usr-a: demographics without a birthDate


async def _download(client: httpx.AsyncClient, app: Any, headers: dict[str, str], **params: str):
    started = await client.post("/v1/me/exports", headers=headers, params=params)
    assert started.status_code == 202, started.text
    await drain(app.state.ctx)
    export_id = started.json()["id"]
    got = await client.get(f"/v1/me/exports/{export_id}/download", headers=headers, params=params)
    assert got.status_code == 200, got.text
    return unzip(got.content)


async def test_the_access_export_holds_the_persons_oneroster_fields(
    client: httpx.AsyncClient, app: Any, schools: Any, login: Any
) -> None:
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, _zip(_with_extensions()))).status_code == 200

    entries = await _download(client, app, await login(TEACHER))
    rows = {row["role"]: row for row in json.loads(entries["oneroster.json"])}
    assert set(rows) == {"teacher", "guardian"}  # one row per membership
    teacher = rows["teacher"]
    assert (teacher["school"], teacher["sourced_id"]) == ("demo-north", "usr-t")
    assert (teacher["username"], teacher["identifier"], teacher["email"]) == (
        "wang.fang",
        "T-001",
        "wf@school.example",
    )
    assert (teacher["middle_name"], teacher["user_ids"]) == ("Li", "{LDAP:wf01}")
    assert teacher["second_phone"] == "13800003091"  # unsealed in the person's own copy
    assert teacher["metadata"] == {
        "metadata.sis.houseColour": "green",
        "metadata.sis.contract": "permanent",  # the teacher role's row
    }
    assert teacher["other_fields"]["role"]["sourcedId"] == "rl-t"
    assert rows["guardian"]["other_fields"]["role"]["sourcedId"] == "rl-tp"
    csv_rows = list(csv.DictReader(io.StringIO(entries["oneroster.csv"].decode("utf-8-sig"))))
    assert {row["sourced_id"] for row in csv_rows} == {"usr-t"}
    everything = b"".join(entries.values()).decode("utf-8", "replace")
    for other in ("usr-k", "zihan", "ann.aide", "usr-a"):  # the child, the aide
        assert other not in everything, other

    aide = json.loads((await _download(client, app, await login(AIDE)))["oneroster.json"])
    assert [(r["sourced_id"], r["demographics"]) for r in aide] == [
        ("usr-a", {"sex": "male", "metadata.sis.lunch": "paid"})
    ]
    assert aide[0]["second_phone"] == ""


async def test_a_guardians_export_for_the_child_holds_the_childs_fields(
    client: httpx.AsyncClient, app: Any, schools: Any, login: Any
) -> None:
    admin = await login(NORTH_ADMIN)
    assert (await upload(client, admin, _zip(_with_extensions()))).status_code == 200
    members = (await client.get("/v1/tenants/demo-north/members", headers=admin)).json()["items"]
    child = next(m for m in members if m["display_name"] == "Zihan Li")
    entries = await _download(client, app, await login(TEACHER), student=child["account_id"])
    rows = json.loads(entries["oneroster.json"])
    assert [(r["sourced_id"], r["grades"], r["user_ids"]) for r in rows] == [
        ("usr-k", "07", "{SIS:k1}")
    ]
    assert rows[0]["demographics"] == {
        "birthDate": "2015-03-01",
        "sex": "female",
        "metadata.sis.lunch": "free",
    }
    assert rows[0]["metadata"] == {"metadata.sis.houseColour": "blue, red"}
    assert "wang.fang" not in entries["oneroster.csv"].decode("utf-8-sig")  # not the guardian's
