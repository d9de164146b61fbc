"""Stored XSS through recordings (#11): only each kind's media types, judged by the bytes,
served so that a browser never runs them."""

from __future__ import annotations

from tests.classroom.conftest import NORTH_ADMIN, bearer
from tests.factories import jpeg, mp4

PAGE = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


async def _recording(client, headers, world, name, content, declared):
    return await client.post(
        f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings",
        headers=headers,
        files={"file": (name, content, declared)},
        data={"notice_shown": "true"},
    )


async def test_an_html_page_is_refused_as_a_recording(client, login, world):
    """SEC-3: declared text/html, or disguised as video/mp4, it is 422 on `file`."""
    admin = await login(NORTH_ADMIN)
    for declared in ("text/html", "video/mp4", "application/octet-stream"):
        refused = await _recording(client, admin, world, "x.html", PAGE, declared)
        assert refused.status_code == 422, (declared, refused.text)
        assert refused.json()["field"] == "file"
    listing = f"/v1/tenants/demo-north/lessons/{world.lesson}/recordings"
    assert (await client.get(listing, headers=admin)).json()["items"] == []
    # A snapshot is an image; a video is not one.
    snapshot = await client.post(
        f"/v1/ingest/lessons/{world.lesson}/snapshots",
        headers=bearer(world.key),
        files={"file": ("f.jpg", mp4(b"x"), "image/jpeg")},
    )
    assert snapshot.status_code == 422 and snapshot.json()["field"] == "file"


async def test_the_bytes_decide_the_stored_type(client, login, world):
    admin = await login(NORTH_ADMIN)
    sent = await _recording(client, admin, world, "r.bin", mp4(b"x" * 100), "")
    assert sent.status_code == 201, sent.text
    assert sent.json()["content_type"] == "video/mp4"


async def test_downloads_are_sandboxed_and_not_sniffed(client, login, world):
    admin = await login(NORTH_ADMIN)
    rec = (await _recording(client, admin, world, "r.mp4", mp4(b"x"), "video/mp4")).json()
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec['id']}/link", headers=admin)
    download = await client.get(link.json()["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert download.headers["content-disposition"].startswith("inline; filename=")
    assert download.headers["content-disposition"].endswith('.mp4"')
    snap = await client.post(
        f"/v1/ingest/lessons/{world.lesson}/snapshots",
        headers=bearer(world.key),
        files={"file": ("f.jpg", jpeg(b"y"), "image/jpeg")},
    )
    assert snap.json()["content_type"] == "image/jpeg"


async def test_every_answer_carries_the_security_headers(client, login, world):
    admin = await login(NORTH_ADMIN)
    for response in (
        await client.get("/healthz"),
        await client.get("/v1/tenants/demo-north/members", headers=admin),
        await client.get("/v1/tenants/demo-north/nothing-here"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_file_stored_before_the_check_is_served_as_an_attachment(
    client, login, owner, world
):
    """A row from before the check with `text/html` is never served as a page."""
    from sqlalchemy import update

    from app.classroom.models import LessonFile
    from app.core.db import set_tenant

    admin = await login(NORTH_ADMIN)
    rec = (await _recording(client, admin, world, "r.mp4", mp4(b"x"), "video/mp4")).json()
    async with owner.db.session() as session:
        await set_tenant(session, world.north.id)
        await session.execute(
            update(LessonFile)
            .where(LessonFile.tenant_id == world.north.id)
            .values(content_type="text/html")
        )
    link = await client.get(f"/v1/tenants/demo-north/recordings/{rec['id']}/link", headers=admin)
    download = await client.get(link.json()["url"])
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
