"""Server-rendered SVG charts (no script); every chart's page also shows its numbers as a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import escape

from app.analytics.schemas import Interval, Timeline

WIDTH, HEIGHT, PAD = 640, 240, 40


@dataclass(frozen=True)
class Svg:
    """Markup built from numbers only (no text from people): safe to emit unescaped."""

    markup: str


def line_chart(values: list[float], top: float, label: str) -> Svg:
    """Points 0..top left to right, with a baseline and the top's gridline."""
    label = str(escape(label))
    if not values:
        return Svg(f'<svg role="img" aria-label="{label}" width="{WIDTH}" height="{HEIGHT}"></svg>')
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    span = HEIGHT - 2 * PAD

    def y(v: float) -> float:
        return HEIGHT - PAD - (min(v, top) / top) * span if top else HEIGHT - PAD

    points = " ".join(f"{PAD + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    dots = "".join(
        f'<circle cx="{PAD + i * step:.1f}" cy="{y(v):.1f}" r="4" fill="#0b5394"/>'
        for i, v in enumerate(values)
    )
    return Svg(
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#333"/><line x1="{PAD}" y1="{PAD}" x2="{WIDTH - PAD}" y2="{PAD}" '
        f'stroke="#bbb" stroke-dasharray="4"/>'
        f'<text x="4" y="{PAD + 4}" font-size="12">{top:g}</text>'
        f'<text x="4" y="{HEIGHT - PAD + 4}" font-size="12">0</text>'
        f'<polyline fill="none" stroke="#0b5394" stroke-width="2" points="{points}"/>{dots}</svg>'
    )


ROW, LANES = 28, (("online", "#2e7d32"), ("stage", "#6a1b9a"), ("camera", "#0b5394"))


def _bars(spans: list[Interval], start: datetime, seconds: float, top: float, color: str) -> str:
    width = WIDTH - 2 * PAD
    out = []
    for span in spans:
        x = PAD + (span.start - start).total_seconds() / seconds * width
        w = max(1.0, (span.end - span.start).total_seconds() / seconds * width)
        out.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{w:.1f}" height="6" fill="{color}"/>')
    return "".join(out)


def timeline_chart(drawn: Timeline, label: str) -> Svg:
    """One row per person: online, on stage and camera-on bars; hand raises as ticks."""
    label = str(escape(label))
    seconds = max(1.0, (drawn.end - drawn.start).total_seconds())
    height = PAD + ROW * max(1, len(drawn.people)) + 10
    parts = [
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, person in enumerate(drawn.people):
        top = PAD / 2 + index * ROW
        parts.append(
            f'<text x="2" y="{top + 12:.1f}" font-size="11">{index + 1}</text>'
            f'<line x1="{PAD}" y1="{top + 22:.1f}" x2="{WIDTH - PAD}" y2="{top + 22:.1f}" '
            f'stroke="#ddd"/>'
        )
        for lane, (name, color) in enumerate(LANES):
            spans: list[Interval] = getattr(person, name)
            parts.append(_bars(spans, drawn.start, seconds, top + lane * 7, color))
        for event in person.events:
            if event.kind == "behaviour.hand_raised":
                x = PAD + (event.at - drawn.start).total_seconds() / seconds * (WIDTH - 2 * PAD)
                parts.append(
                    f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + 20:.1f}" '
                    f'stroke="#c62828" stroke-width="2"/>'
                )
    parts.append("</svg>")
    return Svg("".join(parts))


def minutes_of(spans: list[Interval]) -> float:
    return round(sum((s.end - s.start).total_seconds() for s in spans) / 60, 1)


def bar_chart(values: list[float], top: float, label: str) -> Svg:
    """One bar per value, 0..top, in the order of the table beside it (numbered below)."""
    label = str(escape(label))
    width = WIDTH - 2 * PAD
    slot = width / max(1, len(values))
    span = HEIGHT - 2 * PAD
    parts = [
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#333"/><text x="4" y="{PAD + 4}" font-size="12">{top:g}</text>'
        f'<text x="4" y="{HEIGHT - PAD + 4}" font-size="12">0</text>'
    ]
    for i, v in enumerate(values):
        h = (min(max(v, 0.0), top) / top) * span if top else 0.0
        x = PAD + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="#0b5394"/><text x="{x + slot * 0.35:.1f}" '
            f'y="{HEIGHT - PAD + 16}" font-size="12" text-anchor="middle">{i + 1}</text>'
        )
    parts.append("</svg>")
    return Svg("".join(parts))
