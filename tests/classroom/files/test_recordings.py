"""Recordings and snapshots: upload, notice rule, signed links, grants, size limit, S3."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import boto3
import httpx
import pytest
from moto import mock_aws

from app.core import clock
from app.core.pagination import encode_cursor
from app.main import create_app
from tests.classroom.conftest import (
    CLASSMATE,
    GUARDIAN,
    NORTH_ADMIN,
    OTHER_TEACHER,
    SOUTH_ADMIN,
    STUDENT,
    TEACHER,
    bearer,
)
from tests.conftest import make_settings
from tests.factories import jpeg, mp4

VIDEO = mp4(b"\x00\x01fake-mp4" * 5000)


def _files(content: bytes = VIDEO, **fields: str):
    return {"files": {"file": ("lesson.mp4", content, "video/mp4")}, "data": fields}


async def _upload(client, headers, world, what="recordings", content=VIDEO, **fields):
    url = f"/v1/tenants/demo-north/lessons/{world.lesson}/{what}"
    return await client.post(url, headers=headers, **_files(content, **fields))


async def test_recording_needs_the_notice_then_downloads_by_signed_link(client, login, world):
    """CLS-5, CLS-15."""
    admin = await login(NORTH_ADMIN)
    refused = await _upload(client, admin, world)
    assert refused.status_code == 409
    assert "notice" in refused.json()["detail"]
    created = await _upload(client, admin, world, notice_shown="true", duration_seconds="3600")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["size_bytes"] == len(VIDEO)
    assert body["sha256"] == hashlib.sha256(VIDEO).hexdigest()
    assert body["duration_seconds"] == 3600 and body["notice_shown"] is True
    # The lesson now carries the flag, so a second part needs no form field.
    assert (await _upload(client, admin, world, content=mp4(b"part 2"))).status_code == 201

    listed = await client.get(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings", headers=admin
    )
    assert [r["size_bytes"] for r in listed.json()["items"]] == [len(VIDEO), len(mp4(b"part 2"))]
    link = await client.get(f"/v1/tenants/demo-north/recordings/{body['id']}/link", headers=admin)
    assert link.status_code == 200
    url = link.json()["url"]
    assert url.startswith("/v1/files/")
    download = await client.get(url)
    assert download.status_code == 200 and download.content == VIDEO
    assert download.headers["content-type"] == "video/mp4"
    tampered = await client.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert tampered.status_code == 401
    clock.advance(301)
    assert (await client.get(url)).status_code == 401


async def test_who_may_see_recordings_and_grants(client, login, world):
    """VIS-2."""
    admin = await login(NORTH_ADMIN)
    created = await _upload(client, admin, world, notice_shown="true")
    rec = created.json()["id"]
    listing = f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings"
    link = f"/v1/tenants/demo-north/recordings/{rec}/link"

    teacher = await login(TEACHER)
    assert len((await client.get(listing, headers=teacher)).json()["items"]) == 1
    assert (await client.get(link, headers=teacher)).status_code == 200
    other = await login(OTHER_TEACHER)
    assert (await client.get(link, headers=other)).status_code == 404
    south = await login(SOUTH_ADMIN)
    assert (await client.get(link, headers=south)).status_code == 404

    student = await login(STUDENT)
    assert (await client.get(link, headers=student)).status_code == 404
    assert (await client.get(listing, headers=student)).status_code == 404
    expires = (clock.now() + timedelta(days=1)).isoformat()
    not_admin = await client.post(
        f"/v1/tenants/demo-north/recordings/{rec}/grants",
        json={"phone": STUDENT, "expires_at": expires},
        headers=teacher,
    )
    assert not_admin.status_code == 403
    granted = await client.post(
        f"/v1/tenants/demo-north/recordings/{rec}/grants",
        json={"phone": STUDENT, "expires_at": expires},
        headers=admin,
    )
    assert granted.status_code == 201, granted.text
    assert (await client.get(link, headers=student)).status_code == 200
    assert len((await client.get(listing, headers=student)).json()["items"]) == 1
    guardian = await login(GUARDIAN)
    assert (await client.get(link, headers=guardian)).status_code == 200
    classmate = await login(CLASSMATE)
    assert (await client.get(link, headers=classmate)).status_code == 404

    revoke = await client.delete(
        f"/v1/tenants/demo-north/recordings/{rec}/grants/{granted.json()['id']}", headers=admin
    )
    assert revoke.status_code == 204
    assert (await client.get(link, headers=student)).status_code == 404

    to_course = await client.post(
        f"/v1/tenants/demo-north/recordings/{rec}/grants",
        json={"course_id": str(world.course), "expires_at": expires},
        headers=admin,
    )
    assert to_course.status_code == 201
    assert (await client.get(link, headers=classmate)).status_code == 200
    clock.advance(2 * 86400)
    classmate, admin = await login(CLASSMATE), await login(NORTH_ADMIN)  # tokens expired too
    assert (await client.get(link, headers=classmate)).status_code == 404

    for bad in (
        {"phone": STUDENT, "course_id": str(world.course), "expires_at": expires},
        {"phone": "+8613700001234", "expires_at": (clock.now() + timedelta(days=1)).isoformat()},
        {"course_id": str(uuid.uuid4()), "expires_at": (clock.now() + timedelta(1)).isoformat()},
        {"phone": STUDENT, "expires_at": expires},  # in the past by now
    ):
        response = await client.post(
            f"/v1/tenants/demo-north/recordings/{rec}/grants", json=bad, headers=admin
        )
        assert response.status_code == 422, (bad, response.text)


async def test_admins_list_a_recordings_grants_with_their_status(client, login, world):
    """AUZ-5: a school sees who may watch a recording through a grant, and can revoke it."""
    admin = await login(NORTH_ADMIN)
    rec = (await _upload(client, admin, world, notice_shown="true")).json()["id"]
    grants = f"/v1/tenants/demo-north/recordings/{rec}/grants"
    soon, later = clock.now() + timedelta(hours=1), clock.now() + timedelta(days=3)
    made = []
    for body in (
        {"phone": STUDENT, "expires_at": later.isoformat()},
        {"course_id": str(world.course), "expires_at": soon.isoformat()},
        {"phone": CLASSMATE, "expires_at": later.isoformat()},
    ):
        response = await client.post(grants, json=body, headers=admin)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    assert (await client.delete(f"{grants}/{made[2]}", headers=admin)).status_code == 204
    clock.advance(2 * 3600)
    admin = await login(NORTH_ADMIN)

    first = await client.get(grants, headers=admin, params={"limit": 2})
    assert first.status_code == 200, first.text
    rest = await client.get(
        grants, headers=admin, params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    items = first.json()["items"] + rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert [(i["id"], i["status"]) for i in items] == [
        (made[0], "active"),
        (made[1], "expired"),
        (made[2], "revoked"),
    ]
    assert items[0]["account_id"] == world.user(STUDENT)
    assert items[1]["course_id"] == str(world.course)
    assert items[2]["revoked_at"] is not None
    forged = await client.get(grants, headers=admin, params={"cursor": encode_cursor(["x"])})
    assert forged.status_code == 422 and forged.json()["field"] == "cursor"

    teacher, south = await login(TEACHER), await login(SOUTH_ADMIN)
    assert (await client.get(grants, headers=teacher)).status_code == 403
    assert (await client.get(grants, headers=south)).status_code == 404
    foreign = f"/v1/tenants/demo-south/recordings/{rec}/grants"
    assert (await client.get(foreign, headers=south)).status_code == 404
    missing = f"/v1/tenants/demo-north/recordings/{uuid.uuid4()}/grants"
    assert (await client.get(missing, headers=admin)).status_code == 404


async def test_snapshots_come_from_the_api_key_and_only_admins_read_them(client, login, world):
    """CLS-15, ROL-3."""
    url = f"/v1/ingest/lessons/{world.lesson}/snapshots"
    sent = await client.post(
        url,
        headers=bearer(world.key),
        files={"file": ("frame.jpg", jpeg(b"frame"), "image/jpeg")},
    )
    assert sent.status_code == 201, sent.text
    foreign = await client.post(
        f"/v1/ingest/lessons/{world.south_lesson}/snapshots",
        headers=bearer(world.key),
        files={"file": ("frame.jpg", b"x", "image/jpeg")},
    )
    assert foreign.status_code == 404
    admin = await login(NORTH_ADMIN)
    listing = f"/v1/tenants/demo-north/lessons/{world.lesson}/snapshots"
    items = (await client.get(listing, headers=admin)).json()["items"]
    assert [i["content_type"] for i in items] == ["image/jpeg"]
    link = await client.get(
        f"/v1/tenants/demo-north/snapshots/{items[0]['id']}/link", headers=admin
    )
    assert (await client.get(link.json()["url"])).content == jpeg(b"frame")
    teacher = await login(TEACHER)
    assert (await client.get(listing, headers=teacher)).status_code == 403
    no_notice = await client.post(
        f"/v1/ingest/lessons/{world.lesson}/recordings",
        headers=bearer(world.key),
        files={"file": ("r.mp4", b"x", "video/mp4")},
    )
    assert no_notice.status_code == 409


@pytest.fixture
async def small_client(database, tmp_path):
    app = create_app(make_settings(database, tmp_path, upload_max_bytes=1000))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
        yield c
    await app.state.ctx.db.dispose()


async def test_upload_over_the_limit_is_413_and_leaves_nothing(small_client, tmp_path, world):
    url = f"/v1/ingest/lessons/{world.lesson}/snapshots"
    files = {"file": ("big.jpg", b"x" * 5000, "image/jpeg")}
    # Without Content-Length the limit is found while copying.
    response = await small_client.post(url, headers=bearer(world.key), files=files)
    assert response.status_code == 413
    assert response.json()["field"] == "file"
    stored = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert stored == []


async def test_s3_store_against_moto(database, tmp_path, login, world, client):
    bucket = f"rostra-test-{uuid.uuid4().hex[:8]}"
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        settings = make_settings(database, tmp_path, object_store="s3", s3_bucket=bucket)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rostra.test") as c:
            admin = await login(NORTH_ADMIN)
            created = await _upload(c, admin, world, notice_shown="true")
            assert created.status_code == 201, created.text
            link = await c.get(
                f"/v1/tenants/demo-north/recordings/{created.json()['id']}/link", headers=admin
            )
            url = link.json()["url"]
            # The link is ours, checked when used, then redirects to a short presigned URL.
            assert url.startswith("/v1/files/")
            redirected = await c.get(url)
        await app.state.ctx.db.dispose()
        assert redirected.status_code == 307
        location = redirected.headers["location"]
        assert location.startswith("https://") and bucket in location and "Signature" in location
        (obj,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
        assert obj["Size"] == len(VIDEO)
        assert s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read() == VIDEO


async def test_school_option_lets_students_watch_their_courses_recordings(client, login, world):
    from tests.classroom.conftest import SOUTH_STUDENT

    south_admin = await login(SOUTH_ADMIN)
    url = f"/v1/tenants/demo-south/lessons/{world.south_lesson}/recordings"
    created = await client.post(url, headers=south_admin, **_files(notice_shown="true"))
    assert created.status_code == 201
    student = await login(SOUTH_STUDENT)  # demo-south has students_watch_recordings on
    listed = await client.get(url, headers=student)
    assert [r["id"] for r in listed.json()["items"]] == [created.json()["id"]]
    link = await client.get(
        f"/v1/tenants/demo-south/recordings/{created.json()['id']}/link", headers=student
    )
    assert link.status_code == 200
