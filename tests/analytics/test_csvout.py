"""The one CSV writer (app/core/csvout.py): BOM, header, formula cells neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from app.core.csvout import neutralise, render


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+861380000", "'+861380000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("王小明", "王小明"),
        (-3, "-3"),
        (2.5, "2.5"),
        (None, ""),
        (True, "true"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_document_has_a_bom_a_header_and_crlf_lines():
    text = render(["name", "score"], [{"name": "=1+1", "score": 5}, {"name": "李雷"}])
    assert text.startswith("\ufeffname,score\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["name", "score"], ["'=1+1", "5"], ["李雷", ""]]
