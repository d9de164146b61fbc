"""Which media types each kind of lesson file may be, judged by its leading bytes.

The declared `Content-Type` of an upload is a claim; the file's first bytes decide. A file
whose bytes are not one of its kind's types (an HTML page posted as a recording) is refused
with 422 on `file`, so nothing that a browser would run is ever stored or served.
"""

from __future__ import annotations

from pathlib import Path

import filetype

from app.core.errors import Invalid
from app.core.vocabulary import RecordKind

ALLOWED: dict[str, frozenset[str]] = {
    RecordKind.RECORDING: frozenset(
        {
            "video/mp4",
            "video/x-m4v",
            "video/webm",
            "video/quicktime",
            "audio/mp4",
            "audio/mpeg",
            "audio/ogg",
        }
    ),
    RecordKind.SNAPSHOT: frozenset({"image/jpeg", "image/png", "image/webp"}),
}
UNKNOWN = "application/octet-stream"
HEAD_BYTES = 8192  # enough for every signature `filetype` knows

# Served files get no power in a browser even if one were ever opened directly.
SANDBOX = "default-src 'none'; sandbox"


def sniffed_type(path: Path) -> str | None:
    """The media type the file's leading bytes show, if `filetype` recognises them."""
    with path.open("rb") as source:
        head = source.read(HEAD_BYTES)
    mime = filetype.guess_mime(head)
    return str(mime) if mime else None


def checked_type(kind: str, declared: str, path: Path) -> str:
    """The media type to store for an upload of `kind`: what its bytes are, if allowed."""
    allowed = ALLOWED[kind]
    claimed = declared.partition(";")[0].strip().lower()
    names = ", ".join(sorted(allowed))
    if claimed not in allowed and claimed not in ("", UNKNOWN):
        raise Invalid("file", f"a {kind} may be {names}, not {claimed}", allowed=sorted(allowed))
    sniffed = sniffed_type(path)
    if sniffed not in allowed:
        found = sniffed or "not a recognised media file"
        raise Invalid("file", f"the file's content is {found}; a {kind} may be {names}")
    return sniffed


def serving_headers(kind: str, content_type: str, filename: str) -> tuple[str, dict[str, str]]:
    """The type a stored file is served as and its headers: inline only for its kind's media."""
    safe = content_type in ALLOWED.get(kind, frozenset())
    disposition = "inline" if safe else "attachment"
    return (content_type if safe else UNKNOWN), {
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Cache-Control": "private, no-store",
    }


def extension(content_type: str) -> str:
    """A file-name extension for a stored type (`bin` when unknown)."""
    found = filetype.get_type(mime=content_type)
    return str(found.extension) if found else "bin"
