"""A large roster file is applied by a job the admin's page follows (#15): queued, then
done with its plan (or failed with its row errors, nothing written), polled by htmx and
readable without JavaScript; the job writes the import API's audit entry."""

from __future__ import annotations

from app.jobs.wiring import drain
from app.portal.settings import PortalSettings
from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_admin import GOOD, _upload
from tests.portal.test_portal_teacher import row_of


def _held(html: str) -> str:
    return html.split('name="held" value="', 1)[1].split('"', 1)[0]


async def test_a_large_file_is_applied_by_a_job_the_page_follows(
    app, client, login, sign_in, schools
):
    app.state.portal_settings = PortalSettings(import_inline_bytes=16)  # every file is "large"
    admin = await sign_in(NORTH_ADMIN)
    token = csrf_of((await admin.get("/portal/s/demo-north/admin/import")).text)
    dry = await _upload(admin, token, GOOD.encode())
    assert dry.status_code == 200  # the dry run still answers at once
    started = await _upload(admin, token, b"", step="apply", held=_held(dry.text))
    assert started.status_code == 303
    run_page = started.headers["location"]
    queued = await admin.get(run_page)
    assert queued.status_code == 200 and "排队中" in queued.text
    assert 'hx-trigger="every 2s"' in queued.text and "刷新" in queued.text
    members = await admin.get("/portal/s/demo-north/admin/members?q=大明")
    assert "没有匹配的成员" in members.text  # not yet applied
    await drain(app.state.ctx)
    polled = await admin.get(run_page, headers={"hx-request": "true"})
    assert "<html" not in polled.text and "导入完成" in polled.text
    assert "hx-trigger" not in polled.text  # finished: the polling stops
    assert row_of(polled.text, "plan", "人员")[1] == "2"
    found = await admin.get("/portal/s/demo-north/admin/members?q=大明")
    assert row_of(found.text, "members", "大明")[2] == "学生"
    audit = await client.get(
        "/v1/tenants/demo-north/audit?kind=member", headers=await login(NORTH_ADMIN)
    )
    imports = [e for e in audit.json()["items"] if "import" in e["detail"]]
    assert imports and imports[0]["action"] == "create" and imports[0]["subject_count"] == 2
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(run_page)).status_code == 404


async def test_a_run_whose_file_went_bad_fails_with_its_row_errors_and_writes_nothing(
    app, sign_in, schools
):
    """The job checks the file again: a held file edited to carry a bad row is refused."""
    import base64

    app.state.portal_settings = PortalSettings(import_inline_bytes=16)
    admin = await sign_in(NORTH_ADMIN)
    token = csrf_of((await admin.get("/portal/s/demo-north/admin/import")).text)
    bad = base64.b64encode((GOOD + "12,坏行,student,,adult,\n").encode()).decode()
    started = await _upload(admin, token, b"", step="apply", held=bad)
    assert started.status_code == 303
    await drain(app.state.ctx)
    failed = await admin.get(started.headers["location"])
    assert "导入失败" in failed.text and row_of(failed.text, "errors", "roster.csv")[1] == "4"
    members = await admin.get("/portal/s/demo-north/admin/members?q=大明")
    assert "没有匹配的成员" in members.text
