"""docs/requirements.md: every promise of the requirements catalogue, and what answers it.

The catalogue (`docs/requirements/catalogue.md`, a copy of the shared REQUIREMENTS.md kept
in the repository so a clean clone has it) gives each requirement a stable ID. A test
answers an ID by naming it in its function name (`test_rgt_11_...`), its docstring, its
class's docstring or its module's docstring. An ID no test answers needs a line in
`docs/declined.toml` saying why: `declined` (Rostra decides against it), `outside` (not
Rostra's part: the exam app's orders, the classroom client's permission pop-ups, the
operator's organisation) or `open` (Rostra's part, not built yet; the issue that holds it).

    python -m tools.requirements_doc           # print what changed, exit 1 when out of date
    python -m tools.requirements_doc --write   # rewrite docs/requirements.md
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "docs" / "requirements" / "catalogue.md"
SHARED = ROOT.parent / "shared" / "REQUIREMENTS.md"
DECLINED = ROOT / "docs" / "declined.toml"
OUTPUT = ROOT / "docs" / "requirements.md"
TESTS = ROOT / "tests"
STATUSES = ("declined", "outside", "open")

_ENTRY = re.compile(r"^- \*\*([A-Z]+-\d+)\*\* — (.*)$")
_HEADING = re.compile(r"^## (\d+)\. (.*)$")


@dataclass(frozen=True)
class Requirement:
    id: str
    section: str
    text: str


@dataclass
class Catalogue:
    requirements: list[Requirement]
    tests: dict[str, list[str]] = field(default_factory=dict)
    declined: dict[str, tuple[str, str]] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """What makes the catalogue unaccounted for: each line names the ID."""
        known = {r.id for r in self.requirements}
        out = [
            f"{r.id}: no test cites it and docs/declined.toml gives no reason"
            for r in self.requirements
            if r.id not in self.tests and r.id not in self.declined
        ]
        out += [
            f"{i}: tests cite it ({self.tests[i][0]}), so it is met: remove it from declined.toml"
            for i, (status, _) in sorted(self.declined.items())
            if status == "open" and i in self.tests
        ]
        out += [
            f"{i}: in docs/declined.toml but not in the catalogue"
            for i in self.declined
            if i not in known
        ]
        return out

    def counts(self) -> dict[str, int]:
        met = sum(1 for r in self.requirements if r.id in self.tests)
        counts = {"met": met}
        for status in STATUSES:
            counts[status] = sum(
                1
                for r in self.requirements
                if r.id not in self.tests and self.declined.get(r.id, ("",))[0] == status
            )
        return counts


def parse_catalogue(text: str) -> list[Requirement]:
    section = ""
    out: list[Requirement] = []
    for line in text.splitlines():
        if heading := _HEADING.match(line):
            section = heading.group(2).strip()
        elif entry := _ENTRY.match(line):
            requirement = entry.group(2).rsplit(" — [", 1)[0].strip()
            out.append(Requirement(entry.group(1), section, requirement))
    return out


def _id_pattern(prefixes: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(prefixes, key=len, reverse=True))
    # RGT-11, rgt_11 (in a name), PRX-1/2/6 (a list), RGT-11..16 (a range)
    return re.compile(
        rf"(?<![A-Za-z])({alternatives})[-_](\d+)((?:/\d+)*)(?:\.\.(\d+))?(?!\d)",
        re.IGNORECASE,
    )


def _cited(text: str | None, pattern: re.Pattern[str]) -> set[str]:
    ids: set[str] = set()
    for m in pattern.finditer(text or ""):
        prefix, first = m.group(1).upper(), int(m.group(2))
        numbers = [first, *(int(n) for n in m.group(3).split("/") if n)]
        if m.group(4):
            numbers += range(first, int(m.group(4)) + 1)
        ids |= {f"{prefix}-{n}" for n in numbers}
    return ids


def _test_functions(
    body: list[ast.stmt],
) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None]]:
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None]] = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            found.append((node, None))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_doc = ast.get_docstring(node)
            found += [(fn, class_doc) for fn, _ in _test_functions(node.body)]
    return found


def find_citations(tests: Path, prefixes: set[str]) -> dict[str, list[str]]:
    """ID -> the tests that cite it (path::name), in path order."""
    pattern = _id_pattern(prefixes)
    cited: dict[str, list[str]] = defaultdict(list)
    for path in sorted(tests.rglob("test_*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        module_ids = _cited(ast.get_docstring(module), pattern)
        where = path.relative_to(tests.parent).as_posix()
        for fn, class_doc in _test_functions(module.body):
            ids = module_ids | _cited(class_doc, pattern)
            ids |= _cited(ast.get_docstring(fn), pattern) | _cited(fn.name, pattern)
            for requirement in ids:
                cited[requirement].append(f"{where}::{fn.name}")
    return dict(cited)


def load_declined(path: Path) -> dict[str, tuple[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, str]] = {}
    for requirement, entry in data.items():
        status, reason = entry.get("status", ""), entry.get("reason", "").strip()
        if status not in STATUSES or not reason:
            raise ValueError(f"{requirement}: needs status in {STATUSES} and a reason")
        out[requirement] = (status, reason)
    return out


def load() -> Catalogue:
    requirements = parse_catalogue(CATALOGUE.read_text(encoding="utf-8"))
    prefixes = {r.id.split("-")[0] for r in requirements}
    return Catalogue(
        requirements=requirements,
        tests=find_citations(TESTS, prefixes),
        declined=load_declined(DECLINED),
    )


def render(catalogue: Catalogue) -> str:
    counts = catalogue.counts()
    lines = [
        "# Requirements: what answers each promise",
        "",
        "Generated by `python -m tools.requirements_doc --write` from",
        "`docs/requirements/catalogue.md` (the shared catalogue), the tests that cite each ID",
        "and `docs/declined.toml`. Do not edit by hand: the suite fails when it is out of date.",
        "",
        f"**{len(catalogue.requirements)} requirements: {counts['met']} met by tests, "
        f"{counts['declined']} declined, {counts['outside']} outside Rostra's part, "
        f"{counts['open']} open.**",
        "",
    ]
    for section, group in groupby(catalogue.requirements, key=lambda r: r.section):
        lines += [f"## {section}", "", "| ID | requirement | answered by |", "|---|---|---|"]
        lines += [f"| {r.id} | {_cell(r.text)} | {_answer(catalogue, r.id)} |" for r in group]
        lines.append("")
    return "\n".join(lines)


def _answer(catalogue: Catalogue, requirement: str) -> str:
    tests = catalogue.tests.get(requirement)
    if tests:
        shown = ", ".join(f"`{t}`" for t in tests[:3])
        return shown + (f" (+{len(tests) - 3} more)" if len(tests) > 3 else "")
    status, reason = catalogue.declined.get(requirement, ("**unanswered**", ""))
    return f"{status}: {_cell(reason)}" if reason else status


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 220 else text[:217].rstrip() + "…"


def main(argv: list[str]) -> int:
    if SHARED.exists() and SHARED.read_bytes() != CATALOGUE.read_bytes():
        print(f"the shared catalogue changed: copy it to {CATALOGUE.relative_to(ROOT)}")
        return 1
    catalogue = load()
    text = render(catalogue)
    for problem in catalogue.problems():
        print(problem)
    if "--write" in argv:
        OUTPUT.write_text(text, encoding="utf-8")
        print(", ".join(f"{k} {v}" for k, v in catalogue.counts().items()))
        return 0
    if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
        print("docs/requirements.md is out of date: python -m tools.requirements_doc --write")
        return 1
    return 1 if catalogue.problems() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
