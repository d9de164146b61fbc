"""Simplified Chinese (default) and English, from gettext catalogues read at start-up."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "rostra_lang"

Gettext = Callable[[str], str]


@lru_cache
def catalogue(language: str) -> dict[str, str]:
    """msgid -> translation of one language's `messages.po` (empty strings left out)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str) and m.string
    }


def gettext_for(language: str) -> Gettext:
    messages = catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE)

    def gettext(message: str) -> str:
        return messages.get(message, message)

    return gettext


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser asks for, by q-value."""
    wanted: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        wanted.append((q, tag.strip().lower()))
    for _q, tag in sorted(wanted, key=lambda item: -item[0]):
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return None


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    return from_accept_language(accept_language or "") or DEFAULT_LANGUAGE
