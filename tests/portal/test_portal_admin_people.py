"""The school admin registers one person and downloads the roster (#15): the same checks
as POST /v1/tenants/{slug}/members (MIN-1/2, PRX-2) with errors beside their field in the
person's language, and the export of GET /v1/tenants/{slug}/roster/export, audited."""

from __future__ import annotations

import io
import zipfile

from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN, TEACHER
from tests.factories import add_member
from tests.portal.conftest import csrf_of
from tests.portal.test_portal_teacher import row_of

NEW = "/portal/s/demo-north/admin/members/new"


def _person(token: str, **changes: str) -> dict[str, str]:
    sent = {
        "csrf": token,
        "phone": "13800001041",
        "display_name": "小红",
        "role": "student",
        "age_band": "under14",
        "guardian_phone": "13800001042",
        "consent_given_by": "guardian",
        "consent_method": "paper_form",
        "consent_notice_version": "1",
        "consent_given_at": "2026-12-01",
    }
    sent.update(changes)
    return sent


async def test_an_under_14_is_registered_with_a_guardian_and_shown_pending(sign_in, schools):
    """MIN-1/PRX-2: a student under 14 with the guardian's consent; the guardian linked."""
    admin = await sign_in(NORTH_ADMIN)
    form = await admin.get(NEW)
    assert form.status_code == 200 and 'type="tel" value="" ' in form.text
    done = await admin.post(NEW, data=_person(csrf_of(form.text)))
    assert done.status_code == 303, done.text
    shown = await admin.get(done.headers["location"])
    assert 'id="registered"' in shown.text
    found = await admin.get("/portal/s/demo-north/admin/members?q=小红")
    assert row_of(found.text, "members", "小红")[2:4] == ["学生", "待确认"]
    guardians = await admin.get("/portal/s/demo-north/admin/members?role=guardian")
    assert "+86 138****1042" in guardians.text
    again = await admin.post(NEW, data=_person(csrf_of(form.text)))
    assert again.status_code == 303 and again.headers["location"].endswith("registered=0")


async def test_refused_registrations_name_the_field_in_chinese_and_write_nothing(sign_in, schools):
    """An under-14 without a guardian, a bad phone, a missing method: 422, errors beside
    their fields in the person's language, nobody registered."""
    admin = await sign_in(NORTH_ADMIN)
    token = csrf_of((await admin.get(NEW)).text)
    no_guardian = await admin.post(
        NEW, data=_person(token, guardian_phone="", consent_given_by="self")
    )
    assert no_guardian.status_code == 422
    assert 'id="guardian_phone-error"' in no_guardian.text
    assert "未满 14 岁的学生需要监护人的手机号" in no_guardian.text
    assert 'id="consent_given_by-error"' in no_guardian.text
    bad_phone = await admin.post(NEW, data=_person(token, phone="12"))
    assert bad_phone.status_code == 422 and 'id="phone-error"' in bad_phone.text
    assert 'value="小红"' in bad_phone.text  # what was typed stays in the form
    no_method = await admin.post(NEW, data=_person(token, consent_method=""))
    assert no_method.status_code == 422 and 'id="consent_method-error"' in no_method.text
    assert "请从选项中选择" in no_method.text
    found = await admin.get("/portal/s/demo-north/admin/members?q=小红")
    assert "没有匹配的成员" in found.text


async def test_the_errors_are_in_english_after_switching(sign_in, schools):
    admin = await sign_in(NORTH_ADMIN, lang="en")
    token = csrf_of((await admin.get(NEW)).text)
    refused = await admin.post(NEW, data=_person(token, guardian_phone=""))
    assert refused.status_code == 422
    assert "a student under 14 needs a guardian&#39;s phone" in refused.text


async def test_the_roster_downloads_as_oneroster_zip_and_csv_and_is_audited(
    client, login, sign_in, schools, owner
):
    await add_member(owner, schools["demo-north"], TEACHER, "teacher", name="张老师")
    admin = await sign_in(NORTH_ADMIN)
    page = await admin.get("/portal/s/demo-north/admin/export")
    assert page.status_code == 200 and 'id="export-csv"' in page.text
    zipped = await admin.get("/portal/s/demo-north/admin/export/oneroster.zip")
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert "users.csv" in names and "manifest.csv" in names
    csv = await admin.get("/portal/s/demo-north/admin/export/roster.csv")
    assert csv.status_code == 200 and "张老师" in csv.text
    api = await client.get(
        "/v1/tenants/demo-north/audit?kind=member", headers=await login(NORTH_ADMIN)
    )
    exports = [e for e in api.json()["items"] if e["action"] == "export"]
    assert {e["detail"]["format"] for e in exports} == {"oneroster", "csv"}
    assert (await admin.get("/portal/s/demo-north/admin/export/x.txt")).status_code == 404


async def test_a_teacher_or_another_schools_admin_may_not_register_or_export(
    sign_in, schools, owner
):
    await add_member(owner, schools["demo-north"], TEACHER, "teacher", name="张老师")
    teacher = await sign_in(TEACHER)
    assert (await teacher.get(NEW)).status_code == 403
    assert (await teacher.get("/portal/s/demo-north/admin/export/roster.csv")).status_code == 403
    south = await sign_in(SOUTH_ADMIN)
    assert (await south.get(NEW)).status_code == 404
    assert (await south.get("/portal/s/demo-north/admin/export/roster.csv")).status_code == 404


async def test_a_part_of_a_name_finds_the_person_after_a_rename_and_wildcards_are_text(
    sign_in, schools
):
    """The name search (suffix index on PostgreSQL, migration 0010p; a scan on SQLite): a
    middle part finds the person, a rename by the roster import is found by its new name
    only, and % or _ are letters, not wildcards."""
    from tests.portal.test_portal_admin import _upload

    admin = await sign_in(NORTH_ADMIN)
    token = csrf_of((await admin.get("/portal/s/demo-north/admin/import")).text)
    first = (
        "phone,name,role,course_code,age_band,guardian_phone\n"
        "13800001051,欧阳小明,student,,adult,\n"
    )
    held = (await _upload(admin, token, first.encode())).text
    held = held.split('name="held" value="', 1)[1].split('"', 1)[0]
    assert (await _upload(admin, token, b"", step="apply", held=held)).status_code == 200
    members = "/portal/s/demo-north/admin/members"
    assert "欧阳小明" in (await admin.get(members, params={"q": "小明"})).text
    renamed = first.replace("欧阳小明", "欧阳大明")
    held = (await _upload(admin, token, renamed.encode())).text
    held = held.split('name="held" value="', 1)[1].split('"', 1)[0]
    assert (await _upload(admin, token, b"", step="apply", held=held)).status_code == 200
    assert "欧阳大明" in (await admin.get(members, params={"q": "阳大"})).text
    assert "没有匹配的成员" in (await admin.get(members, params={"q": "小明"})).text
    for wildcard in ("%", "_", "欧%"):
        assert "没有匹配的成员" in (await admin.get(members, params={"q": wildcard})).text


async def test_a_part_found_in_many_names_is_searched_by_the_scan_with_the_same_answer(
    owner, sign_in, schools, monkeypatch
):
    """More matches than the suffix index hands over (MOST_NAME_MATCHES): the id-ordered
    scan answers, and the page is the same people."""
    from app.roster.members import repository
    from tests.factories import add_member

    for n in range(3):
        await add_member(owner, schools["demo-north"], f"+861380000{n + 7000:04d}", "student",
                         name=f"同名{n}")  # fmt: skip
    admin = await sign_in(NORTH_ADMIN)
    members = "/portal/s/demo-north/admin/members"
    indexed = await admin.get(members, params={"q": "同名"})
    monkeypatch.setattr(repository, "MOST_NAME_MATCHES", 2)
    scanned = await admin.get(members, params={"q": "同名"})
    for page in (indexed, scanned):
        assert all(f"同名{n}" in page.text for n in range(3))
    assert indexed.text.count("<tr>") == scanned.text.count("<tr>") == 4
