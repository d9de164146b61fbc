"""The published cookie page (CKE-1) is the whole list of cookies the portal sets (CKE-4):
a sign-in journey collects every Set-Cookie it receives and finds exactly the page's names,
each with the flags and lifetime the page states; the API sets none."""

from __future__ import annotations

import re

import httpx

from app.portal.cookies import COOKIES
from app.portal.i18n import catalogue
from tests.classroom.conftest import STUDENT
from tests.conftest import latest_code
from tests.portal.conftest import csrf_of

YEAR = 365 * 24 * 3600


def _listed(html: str) -> dict[str, list[str]]:
    """{name: flags} from the page's table."""
    table = html.split('id="cookies"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\"><code>([^<]+)</code></th>(.*?)</tr>", table, re.S)
    cells = {name: re.findall(r"<td>(.*?)</td>", rest, re.S) for name, rest in rows}
    return {name: [f.strip() for f in c[-1].split(",")] for name, c in cells.items()}


async def test_every_cookie_the_portal_sets_is_on_the_cookie_page(app, owner, world):
    """CKE-1, CKE-4."""
    received: list[tuple[str, str]] = []

    async def collect(response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            received.append((str(response.request.url.path), header))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="https://portal.test",  # as deployed: HTTPS, so cookies are Secure
        event_hooks={"response": [collect]},
    ) as browser:
        published = await browser.get("/portal/cookies")  # readable before sign-in
        assert published.status_code == 200
        listed = _listed(published.text)
        login = await browser.get("/portal/login")
        assert 'href="/portal/cookies"' in login.text  # the footer links the page
        token = csrf_of(login.text)
        sent = await browser.post("/portal/login/code", data={"csrf": token, "phone": STUDENT})
        assert sent.status_code == 200
        code = await latest_code(owner, STUDENT)
        done = await browser.post(
            "/portal/login", data={"csrf": token, "phone": STUDENT, "code": code}
        )
        assert done.status_code == 303
        for path in ("/portal/", "/portal/me/", "/portal/me/consents", "/portal/me/profile"):
            assert (await browser.get(path)).status_code == 200, path
        english = await browser.get("/portal/lang/en", params={"next": "/portal/cookies"})
        assert english.status_code == 303
        in_english = await browser.get("/portal/cookies")
        assert "Keeps you signed in" in in_english.text
        profile = await browser.get("/portal/me/profile")
        assert "My profile" in profile.text
        signed_out = await browser.post("/portal/logout", data={"csrf": csrf_of(profile.text)})
        assert signed_out.status_code == 303
        api = [
            await browser.post("/v1/auth/otp", json={"phone": STUDENT}),
            await browser.get("/v1/me"),
            await browser.get("/healthz"),
        ]
        assert all("set-cookie" not in r.headers for r in api)

    names = {header.split("=", 1)[0] for _path, header in received}
    assert names == set(listed) == {c.name for c in COOKIES}
    for path, header in received:
        name, attributes = header.split("=", 1)[0], header.lower()
        if "max-age=0" in attributes or "1970" in attributes:
            continue  # a deletion
        for flag in listed[name]:
            assert flag.lower() in attributes, (path, header, flag)
        assert ("httponly" in attributes) == ("HttpOnly" in listed[name]), header
        lifetime = "max-age=" in attributes or "expires=" in attributes
        assert lifetime == (name == "rostra_lang"), header  # the others end with the browser
        if name == "rostra_lang":
            assert f"max-age={YEAR}" in attributes
    chinese = catalogue("zh")
    assert all(c.purpose in chinese and c.lifetime in chinese for c in COOKIES)
