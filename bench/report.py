"""The figures of one benchmark: a printed table and var/bench/<name>.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from app.core.config import ROOT


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> Figure:
    ratio = round(value / baseline, 3) if baseline else None
    return Figure(name, round(value, 3), unit, round(baseline, 3) if baseline else None, ratio)


def write(bench: str, figures: list[Figure]) -> None:
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{bench}.json").write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    print(f"\n{bench}")
    print(f"{'figure':<32} {'value':>14} {'unit':<10} {'baseline':>14} {'ratio':>8}")
    for f in figures:
        base = f"{f.baseline:,.2f}" if f.baseline is not None else "-"
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else "-"
        print(f"{f.name:<32} {f.value:>14,.2f} {f.unit:<10} {base:>14} {ratio:>8}")
    print(f"written to var/bench/{bench}.json")
