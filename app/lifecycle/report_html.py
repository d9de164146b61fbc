"""The regulator report as a printable page (SEC-13), rendered with autoescaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def incident_report_html(report: dict[str, Any]) -> str:
    return _ENV.get_template("incident_report.html").render(r=report)
