"""Browser journeys: the app served by uvicorn in a thread on a free port (the test's
database), Debian's Chromium driven by Playwright, axe-core on every page, a screenshot
of every page under var/test-screens/<test>/."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright

from app.core.config import ROOT
from app.main import create_app
from tests.conftest import latest_code

CHROMIUM = "/usr/bin/chromium"
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS = ROOT / "var" / "test-screens"
AXE = Axe()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(settings: Any) -> Iterator[str]:
    """The whole app (API and portal) over real HTTP on 127.0.0.1."""
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@dataclass
class Visitor:
    """One browser tab: `see(name)` screenshots the page and runs axe-core on it."""

    page: Page
    base: str
    screens: Path
    owner: Any
    seen: list[str] = field(default_factory=list)

    async def go(self, path: str, name: str) -> None:
        await self.page.goto(self.base + path)
        await self.see(name)

    async def see(self, name: str) -> None:
        self.seen.append(name)
        self.screens.mkdir(parents=True, exist_ok=True)
        shot = self.screens / f"{len(self.seen):02d}-{name}.png"
        await self.page.screenshot(path=str(shot), full_page=True)
        results = await AXE.run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]
        assert not bad, f"axe-core on {name} ({self.page.url}): {bad}"

    async def sign_in(self, phone: str) -> None:
        await self.go("/portal/login", "sign-in")
        await self.page.get_by_label(re.compile("手机号码|Mobile phone")).fill(phone)
        await self.page.get_by_role("button", name=re.compile("发送验证码|Send code")).click()
        await self.see("sign-in-code")
        code = await latest_code(self.owner, phone)
        await self.page.get_by_label(re.compile("短信验证码|SMS code")).fill(code)
        await self.page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
        await self.page.wait_for_url(re.compile(r"/portal/$"))
        await self.see("home")


@pytest.fixture
async def visitor(
    served: str, owner: Any, request: pytest.FixtureRequest
) -> AsyncIterator[Visitor]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_FLAGS)
        context = await browser.new_context(locale="zh-CN", accept_downloads=True)
        page = await context.new_page()
        yield Visitor(page=page, base=served, screens=SCREENS / name, owner=owner)
        await context.close()
        await browser.close()
