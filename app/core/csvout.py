"""One CSV writer for every download: UTF-8 with BOM, and no cell a spreadsheet runs as a formula.

Spreadsheet programs open a UTF-8 file with a byte-order mark correctly (Chinese names), and
treat a cell starting with = + - @ tab or CR as a formula (CSV injection, OWASP): such a
cell is prefixed with a single quote, which shows the text as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi.responses import Response

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The cell's text; a text cell a spreadsheet would evaluate gets a leading quote.

    Numbers are written as numbers (a negative number is data, not a formula).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """The document: BOM, a header row of `columns`, then one line per row (CRLF, RFC 4180)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(row.get(name)) for name in columns])
    return buffer.getvalue()


def csv_response(
    filename: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> Response:
    """A download: the document as UTF-8, named `filename`."""
    return Response(
        content=render(columns, rows).encode("utf-8"),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
