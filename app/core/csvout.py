"""One CSV writer for every download: UTF-8 with BOM, and no cell a spreadsheet runs as a formula.

Spreadsheet programs open a UTF-8 file with a byte-order mark correctly (Chinese names), and
treat a cell starting with = + - @ tab or CR as a formula (CSV injection, OWASP): such a
cell is prefixed with a single quote, which shows the text as typed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from fastapi.responses import Response

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: Any) -> str:
    """The cell's text; a text cell a spreadsheet would evaluate gets a leading quote.

    Numbers are written as numbers (a negative number is data, not a formula). Text that
    already starts with a quote gets one more, so `restore` gives back every text exactly.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return text_cell(str(value))


def text_cell(text: str) -> str:
    return QUOTE + text if text.startswith((*FORMULA_STARTS, QUOTE)) else text


def restore(cell: str) -> str:
    """The text `neutralise` wrote (what an importer reads back): one added quote removed."""
    if cell.startswith(QUOTE) and cell[1:].startswith((*FORMULA_STARTS, QUOTE)):
        return cell[1:]
    return cell


_CELL: dict[type, Callable[[Any], str]] = {
    str: text_cell,
    int: str,
    float: str,
    bool: lambda v: "true" if v else "false",
    datetime: datetime.isoformat,
    date: date.isoformat,
    uuid.UUID: str,
    dict: lambda v: text_cell(orjson.dumps(v).decode()),
    list: lambda v: text_cell(orjson.dumps(v).decode()),
    type(None): lambda v: "",
}


def _other(value: Any) -> str:
    return text_cell(str(value))


def cell(value: Any) -> str:
    """Any value as a safe cell: dates in ISO 8601, JSON for dicts and lists, text neutralised."""
    return _CELL.get(type(value), _other)(value)


def writer(target: Any, lineterminator: str = "\r\n") -> Any:
    """A `csv.writer` on `target`; write rows of `cell(...)` values to it (streaming writers)."""
    return csv.writer(target, lineterminator=lineterminator)


def line(values: Sequence[Any]) -> str:
    """One CSV line of safe cells (for a body streamed line by line)."""
    buffer = io.StringIO()
    writer(buffer).writerow([cell(v) for v in values])
    return buffer.getvalue()


def render(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, bom: bool = True) -> str:
    """The document: BOM, a header row of `columns`, then one line per row (CRLF, RFC 4180)."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    table = writer(buffer)
    table.writerow(columns)
    for row in rows:
        table.writerow([cell(row.get(name)) for name in columns])
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
