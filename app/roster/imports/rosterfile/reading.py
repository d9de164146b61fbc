"""Reading helpers shared by both formats: encodings, CSV tables, phones, names, dates."""

from __future__ import annotations

import csv
import io
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.core import csvout
from app.roster.imports.rosterfile.rows import (
    MAX_LENGTHS,
    RowError,
    RowFilter,
    Table,
    extension_columns,
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?[0-9]{5,15}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

# --- reading helpers shared by both formats -----------------------------------------------


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GB18030, which Excel in China writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
    return None


def read_table(
    file: str,
    data: bytes,
    columns: Sequence[str],
    required: Sequence[str],
    errors: list[RowError],
    *,
    fold_case: bool = False,
    only: RowFilter | None = None,
) -> Table:
    """The wanted columns of every row (absent ones empty), then the header's `metadata.*`
    extension columns; `only` skips rows unread."""
    text = decode_text(data)
    if text is None:
        errors.append(RowError(file, 1, None, "the file is neither UTF-8 nor GB18030 text"))
        return Table()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: Table | None = None
    pick: operator.itemgetter[Any] = operator.itemgetter(0, 0)
    width = last_line = at = source_at = 0
    while True:
        line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            last_line = reader.line_num
            errors.append(RowError(file, line, None, f"malformed CSV: {exc}"))
            if table is None:
                return Table()
            continue
        last_line = reader.line_num
        if not "".join(fields).strip():
            continue
        if table is None:
            header = [name.strip().lower() if fold_case else name.strip() for name in fields]
            if not _header_ok(file, line, header, required, errors):
                return Table()
            extensions = extension_columns(header, columns)
            table = Table(frozenset(header), extensions=extensions)
            columns, width = (*columns, *extensions), len(header)
            # The trailing extra index keeps itemgetter returning a tuple for one column.
            pick = operator.itemgetter(*(_at(header, name) for name in columns), width)
            if only is not None:
                at, source_at = _at(header, only.column), _at(header, only.counted)
            continue
        if len(fields) > width and "".join(fields[width:]).strip():
            message = f"the row has {len(fields)} fields but the header has {width}"
            errors.append(RowError(file, line, None, message))
            continue
        padded = fields + [""] * (width + 1 - len(fields))
        if only is not None and not only.keep(padded[at].strip()):
            table.skipped.append(padded[source_at].strip())
            continue
        cells = list(map(str.strip, pick(padded)))
        if csvout.QUOTE in "".join(cells):  # rare: only then a cell may need restoring
            cells = [csvout.restore(value) for value in cells]  # as csvout wrote them
        table.rows.append((line, dict(zip(columns, cells, strict=False))))
    if table is None:
        errors.append(RowError(file, 1, None, "the file is empty: a header row is required"))
        return Table()
    return table


def _at(header: list[str], name: str) -> int:
    """The column's index; one the header lacks reads the padding after the last field."""
    return header.index(name) if name in header else len(header)


def _header_ok(
    file: str, line: int, header: list[str], required: Sequence[str], errors: list[RowError]
) -> bool:
    ok = True
    for name, count in Counter(header).items():
        if name and count > 1:
            errors.append(RowError(file, line, name, f"column {name!r} appears {count} times"))
            ok = False
    for name in required:
        if name not in header:
            errors.append(RowError(file, line, name, f"required column {name!r} is missing"))
            ok = False
    return ok


def phone_key(raw: str) -> str | None:
    """Digits for spotting duplicates: punctuation and a +86 / 0086 / 86 prefix removed.

    Deliberately simple; the caller normalises to E.164 with `phonenumbers`.
    """
    digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", raw))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE.fullmatch(digits) else None


def parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def display_name(given: str, family: str) -> str:
    """Chinese names read family name first with no space; others given name first."""
    given, family = " ".join(given.split()), " ".join(family.split())
    if _CJK.search(given + family):
        return f"{family}{given}"
    return f"{given} {family}".strip()


def split_name(name: str) -> tuple[str, str]:
    """(given, family) such that `display_name(*split_name(n)) == n` for a tidy name."""
    has_cjk = _CJK.search(name) is not None
    if has_cjk and " " not in name and len(name) > 1:
        # One-character family names are the common case; compound ones still join back.
        return name[1:], name[0]
    if not has_cjk and " " in name:
        given, family = name.rsplit(" ", 1)
        return given, family
    return name, ""


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _too_long(value: str, what: str) -> str | None:
    limit = MAX_LENGTHS[what]
    return f"longer than {limit} characters" if len(value) > limit else None
