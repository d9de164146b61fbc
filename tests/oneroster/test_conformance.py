"""Every answer of the OneRoster provider validated against the 1.2 REST binding's schemas
(#14; a faithful subset in `openapi_subset.py`, no copy of the 1EdTech OpenAPI document being
obtainable from a package registry): collections, single records, nested paths, errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.oneroster.reads import NESTED
from tests.oneroster.helpers import BASE, ROSTER, new_client, roster_world, token
from tests.oneroster.openapi_subset import (
    KEY_OF,
    OBJECT_OF,
    StatusInfo,
    User,
    validate_collection,
    validate_single,
)


async def test_every_collection_single_record_and_nested_path_conforms(client, schools, login):
    world = await roster_world(client, login)
    registered = await new_client(client, world["admin"], scopes=("roster.readonly",))
    auth = await token(client, registered, scope=ROSTER)
    firsts: dict[str, str] = {}
    for plural in OBJECT_OF:
        r = await client.get(f"{BASE}/{plural}", headers=auth)
        assert r.status_code == 200, (plural, r.text)
        count = validate_collection(plural, r.json())
        assert int(r.headers["X-Total-Count"]) >= count
        if count:
            firsts[plural] = r.json()[KEY_OF.get(plural, plural)][0]["sourcedId"]
    assert {"users", "classes", "courses", "enrollments", "orgs", "terms"} <= set(firsts)
    for plural, sourced_id in firsts.items():
        one = await client.get(f"{BASE}/{plural}/{sourced_id}", headers=auth)
        assert one.status_code == 200, (plural, one.text)
        validate_single(plural, one.json())
    for parent, children in NESTED.items():
        if parent not in firsts:
            continue
        for child in children:
            r = await client.get(f"{BASE}/{parent}/{firsts[parent]}/{child}", headers=auth)
            assert r.status_code == 200, (parent, child, r.text)
            validate_collection(child, r.json())
    for path in ("users/nobody", "nowhere", "users?filter=givenName%3D"):
        bad = await client.get(f"{BASE}/{path}", headers=auth)
        assert bad.status_code in (400, 404)
        StatusInfo.model_validate(bad.json())


def test_the_subset_refuses_what_the_binding_refuses() -> None:
    """The schemas can fail: a missing required field, a bad enumeration, a string boolean."""
    good = {
        "sourcedId": "u1", "status": "active", "dateLastModified": "2026-12-04T00:00:00.000Z",
        "enabledUser": True, "givenName": "Ada", "familyName": "Li",
        "roles": [{
            "roleType": "primary", "role": "teacher",
            "org": {"href": "https://x.example/orgs/o1", "sourcedId": "o1", "type": "org"},
        }],
    }  # fmt: skip
    User.model_validate(good)
    for broken in (
        {k: v for k, v in good.items() if k != "roles"},
        good | {"status": "deleted"},
        good | {"enabledUser": "true"},
        good | {"roles": [good["roles"][0] | {"role": "headmaster"}]},  # type: ignore[index]
    ):
        with pytest.raises(ValidationError):
            User.model_validate(broken)
