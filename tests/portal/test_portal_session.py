"""Sign-in, session cookie, CSRF, sign-out, idle timeout, language, 404 and 500 pages (#15)."""

from __future__ import annotations

import pytest

from app.core import clock
from tests.classroom.conftest import NORTH_ADMIN, SOUTH_ADMIN
from tests.conftest import latest_code
from tests.portal.conftest import csrf_of

PAGES = ["/portal/", "/portal/s/demo-north/", "/portal/s/demo-north/teach/", "/portal/nowhere"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_without_a_session_answers_303_to_sign_in(anonymous, schools, path):
    response = await anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login"


async def test_the_sign_in_page_has_a_tel_phone_field_and_is_chinese_by_default(anonymous):
    page = await anonymous.get("/portal/login", headers={"accept-language": "fr"})
    assert page.status_code == 200
    assert '<input type="tel" id="phone" name="phone"' in page.text
    assert 'lang="zh-Hans"' in page.text and "手机号码" in page.text
    assert '<script src="/portal/static/vendor/htmx/htmx.min.js"' in page.text


async def test_htmx_and_the_stylesheet_are_served_by_rostra_itself(anonymous):
    htmx = await anonymous.get("/portal/static/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text
    css = await anonymous.get("/portal/static/own/portal.css")
    assert css.status_code == 200 and ":focus-visible" in css.text


async def test_sign_in_sets_an_httponly_samesite_session_cookie(sign_in, schools):
    browser = await sign_in(NORTH_ADMIN)
    home = await browser.get("/portal/")
    assert home.status_code == 200
    assert "北校" in home.text or "demo-north" in home.text
    assert "学校管理员" in home.text
    cookie = home.headers["set-cookie"]
    assert "rostra_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on the loopback address: development


async def test_the_session_cookie_is_secure_anywhere_but_local_http(app, owner, schools):
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://rostra.example") as c:
        page = await c.get("/portal/login")
        token = csrf_of(page.text)
        assert "Secure" in page.headers["set-cookie"]
        await c.post("/portal/login/code", data={"csrf": token, "phone": NORTH_ADMIN})
        code = await latest_code(owner, NORTH_ADMIN)
        done = await c.post(
            "/portal/login", data={"csrf": token, "phone": NORTH_ADMIN, "code": code}
        )
    assert done.status_code == 303
    assert "Secure" in done.headers["set-cookie"] and "HttpOnly" in done.headers["set-cookie"]


async def test_a_wrong_code_is_shown_next_to_the_code_field(anonymous, schools):
    token = csrf_of((await anonymous.get("/portal/login")).text)
    await anonymous.post("/portal/login/code", data={"csrf": token, "phone": NORTH_ADMIN})
    wrong = await anonymous.post(
        "/portal/login", data={"csrf": token, "phone": NORTH_ADMIN, "code": "000000x"}
    )
    assert wrong.status_code == 422
    assert 'id="code-error"' in wrong.text and "验证码错误" in wrong.text
    assert "rostra_session" not in wrong.headers.get("set-cookie", "")


async def test_a_bad_phone_number_is_shown_next_to_the_phone_field_in_english(anonymous):
    token = csrf_of((await anonymous.get("/portal/login")).text)
    bad = await anonymous.post(
        "/portal/login/code",
        data={"csrf": token, "phone": "12"},
        headers={"accept-language": "en-US,en;q=0.9"},
    )
    assert bad.status_code == 422
    assert 'id="phone-error"' in bad.text and "Enter a valid mobile phone number." in bad.text


async def test_a_form_without_its_csrf_token_is_refused(anonymous, sign_in, schools):
    await anonymous.get("/portal/login")
    refused = await anonymous.post("/portal/login/code", data={"phone": NORTH_ADMIN})
    assert refused.status_code == 403
    browser = await sign_in(NORTH_ADMIN)
    forged = await browser.post("/portal/logout", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert (await browser.get("/portal/")).status_code == 200  # still signed in


async def test_sign_out_ends_the_session_on_the_server(sign_in, schools):
    browser = await sign_in(NORTH_ADMIN)
    home = await browser.get("/portal/")
    stolen = browser.cookies.get("rostra_session")
    out = await browser.post("/portal/logout", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/portal/login"
    browser.cookies.set("rostra_session", stolen, path="/portal")
    again = await browser.get("/portal/")
    assert again.status_code == 303  # the copied cookie names a revoked session


async def test_an_idle_session_ends_and_a_used_one_slides(sign_in, schools):
    browser = await sign_in(NORTH_ADMIN)
    clock.advance(25 * 60)
    assert (await browser.get("/portal/")).status_code == 200  # used: restarts the clock
    clock.advance(25 * 60)
    assert (await browser.get("/portal/")).status_code == 200
    clock.advance(31 * 60)
    assert (await browser.get("/portal/")).status_code == 303


async def test_the_language_switch_is_remembered(sign_in, schools):
    browser = await sign_in(NORTH_ADMIN)
    switched = await browser.get("/portal/lang/en?next=/portal/")
    assert switched.status_code == 303 and switched.headers["location"] == "/portal/"
    home = await browser.get("/portal/")
    assert 'lang="en"' in home.text and "My schools" in home.text and "School admin" in home.text
    away = await browser.get("/portal/lang/zh?next=https://evil.example/")
    assert away.headers["location"] == "/portal/"


async def test_another_schools_page_is_the_404_page(sign_in, schools):
    """A school the person is not a member of is answered like one that does not exist."""
    browser = await sign_in(SOUTH_ADMIN)
    foreign = await browser.get("/portal/s/demo-north/")
    missing = await browser.get("/portal/s/no-such-school/")
    assert foreign.status_code == missing.status_code == 404
    assert "页面不存在" in foreign.text
    assert "text/html" in foreign.headers["content-type"]
    assert (await browser.get("/portal/no/such/page")).status_code == 404


async def test_an_unexpected_error_is_a_500_page_naming_the_request_id(
    sign_in, schools, monkeypatch
):
    from app.tenancy import repository

    browser = await sign_in(NORTH_ADMIN)

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(repository, "memberships_of_account", broken)
    page = await browser.get("/portal/", headers={"x-request-id": "req-portal-500"})
    assert page.status_code == 500
    assert "req-portal-500" in page.text and "出错了" in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text


async def test_first_sign_in_shows_the_pending_registration_and_notices(
    client, login, sign_in, schools
):
    """PRX-2: the person sees which school registered them and confirms; notices to accept."""
    from tests.roster.helpers import NORTH, person

    admin = await login(NORTH_ADMIN)
    made = await client.post(f"{NORTH}/members", json=person("13800000401"), headers=admin)
    assert made.status_code == 201, made.text
    browser = await sign_in("+8613800000401")
    home = await browser.get("/portal/")
    assert 'id="pending"' in home.text and "为您登记的学校" in home.text
    assert 'id="notices"' in home.text
    token = csrf_of(home.text)
    membership = home.text.split("/portal/memberships/", 1)[1].split("/", 1)[0]
    confirmed = await browser.post(
        f"/portal/memberships/{membership}/confirm", data={"csrf": token}
    )
    assert confirmed.status_code == 303
    notice = home.text.split("/portal/notices/", 1)[1].split("/", 1)[0]
    accepted = await browser.post(f"/portal/notices/{notice}/accept", data={"csrf": token})
    assert accepted.status_code == 303
    after = await browser.get("/portal/")
    assert 'id="pending"' not in after.text
    assert after.text.count("/accept") == home.text.count("/accept") - 1
