"""The person's own profile in "My": an optional nickname and avatar (ACC-3, RGT-3)."""

from __future__ import annotations

import json

from tests.factories import jpeg
from tests.privacy.people import CHILD, STUDENT

PROFILE = "/v1/me/profile"
AVATAR = "/v1/me/profile/avatar"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


def png(body: bytes = b"") -> bytes:
    return PNG_HEAD + body


def _avatars(settings, people) -> list[str]:
    folder = settings.object_store_dir / "accounts" / people.id(STUDENT) / "avatar"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_nickname_and_avatar_are_optional_set_replaced_and_removed(
    client, login, people, settings
):
    """ACC-3: nothing is required and its absence restricts nothing; RGT-3: the person edits
    their profile, while what the school registered stays the school's (a correction)."""
    headers = await login(STUDENT)
    assert (await client.get(PROFILE)).status_code == 401
    empty = await client.get(PROFILE, headers=headers)
    assert empty.status_code == 200, empty.text
    assert (empty.json()["nickname"], empty.json()["avatar"]) == (None, None)
    registered = empty.json()["registered"]
    assert registered["phone_masked"].endswith("0001")
    assert "correction" in registered["correction"]
    # No nickname, no avatar: the learning record and a rights request are there all the same.
    assert (
        await client.get("/v1/me/learning-record?school=demo-north", headers=headers)
    ).status_code == 200
    filed = await client.post("/v1/me/requests", json={"type": "access"}, headers=headers)
    assert filed.status_code == 201

    named = await client.patch(PROFILE, json={"nickname": "  小明 "}, headers=headers)
    assert named.status_code == 200 and named.json()["nickname"] == "小明"
    again = await client.patch(PROFILE, json={"nickname": "小明"}, headers=headers)
    assert again.json() == named.json()
    for bad in ({"nickname": "x" * 41}, {"nickname": "a\x00b"}, {"avatar": "elsewhere.png"}):
        refused = await client.patch(PROFILE, json=bad, headers=headers)
        assert refused.status_code == 422, bad
        assert refused.json()["field"] == next(iter(bad))
    # The school's record is not edited here, whatever the body says.
    kept = await client.patch(PROFILE, json={"display_name": "Someone Else"}, headers=headers)
    assert kept.json()["registered"] == registered and kept.json()["nickname"] == "小明"

    page = b"<html><script>alert(1)</script></html>"
    html = await client.put(AVATAR, files={"file": ("me.png", page, "image/png")}, headers=headers)
    assert html.status_code == 422 and html.json()["field"] == "file"
    declared = await client.put(
        AVATAR, files={"file": ("me.gif", png(), "image/gif")}, headers=headers
    )
    assert declared.status_code == 422 and declared.json()["field"] == "file"
    big = await client.put(
        AVATAR, files={"file": ("me.png", png(b"\0" * 600 * 1024), "image/png")}, headers=headers
    )
    assert big.status_code == 413 and big.json()["field"] == "file"
    assert (await client.get(PROFILE, headers=headers)).json()["avatar"] is None
    assert _avatars(settings, people) == []

    first = await client.put(
        AVATAR, files={"file": ("me.png", png(b"1" * 100), "image/png")}, headers=headers
    )
    assert first.status_code == 200, first.text
    avatar = first.json()["avatar"]
    assert (avatar["content_type"], avatar["size_bytes"], avatar["url"]) == (
        "image/png",
        len(png(b"1" * 100)),
        AVATAR,
    )
    served = await client.get(AVATAR, headers=headers)
    assert served.status_code == 200 and served.content == png(b"1" * 100)
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    # Someone else's avatar address is their own: they have none.
    other = await login(CHILD)
    assert (await client.get(AVATAR, headers=other)).status_code == 404

    replaced = await client.put(
        AVATAR, files={"file": ("me.jpg", jpeg(b"2" * 50), "application/octet-stream")},
        headers=headers,
    )  # fmt: skip
    assert replaced.json()["avatar"]["content_type"] == "image/jpeg"
    assert len(_avatars(settings, people)) == 1  # the old image is gone from the store
    assert (await client.get(AVATAR, headers=headers)).content == jpeg(b"2" * 50)

    removed = await client.patch(PROFILE, json={"avatar": None}, headers=headers)
    assert removed.status_code == 200 and removed.json()["avatar"] is None
    assert removed.json()["nickname"] == "小明"
    assert (await client.get(AVATAR, headers=headers)).status_code == 404
    assert _avatars(settings, people) == []
    assert (await client.delete(AVATAR, headers=headers)).status_code == 204  # a retry
    cleared = await client.patch(PROFILE, json={"nickname": ""}, headers=headers)
    assert cleared.json()["nickname"] is None


async def test_the_profile_is_in_the_persons_access_export(app, client, login, people):
    """ACC-3 with RGT-1: what the person set is part of what they get back."""
    from app.jobs.wiring import drain
    from tests.rights.export.world import unzip

    headers = await login(STUDENT)
    await client.patch(PROFILE, json={"nickname": "小明"}, headers=headers)
    await client.put(AVATAR, files={"file": ("me.png", png(b"9"), "image/png")}, headers=headers)
    started = await client.post("/v1/me/exports", headers=headers)
    assert started.status_code == 202, started.text
    await drain(app.state.ctx)
    download = await client.get(f"/v1/me/exports/{started.json()['id']}/download", headers=headers)
    assert download.status_code == 200, download.text
    account = json.loads(unzip(download.content)["account.json"])[0]
    assert (account["nickname"], account["avatar_type"]) == ("小明", "image/png")
    assert account["avatar_size"] == len(png(b"9"))
