"""The gettext catalogues (#15): every message the portal shows has its Chinese translation,
and the browser's language picks zh or en (zh by default)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.portal.i18n import catalogue, choose_language

PORTAL = Path(__file__).resolve().parents[2] / "app" / "portal"
MESSAGE = re.compile(r"""_\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")


def _messages() -> list[str]:
    files = [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.py")]
    return sorted({m.group(2) for f in files for m in MESSAGE.finditer(f.read_text())})


def test_every_portal_message_has_a_chinese_translation():
    missing = [m for m in _messages() if m not in catalogue("zh")]
    assert not missing, f"add to locale/zh/LC_MESSAGES/messages.po: {missing}"


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, None, "zh"),
        (None, "fr-FR,fr;q=0.9", "zh"),
        (None, "en-GB,en;q=0.9,zh;q=0.5", "en"),
        (None, "de;q=0.9,zh-CN;q=0.8,en;q=0.7", "zh"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
    ],
)
def test_the_language_comes_from_the_cookie_then_the_browser(cookie, header, chosen):
    assert choose_language(cookie, header) == chosen
