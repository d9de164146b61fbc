"""Run benchmarks by name; each prints a table and writes var/bench/<name>.json."""

from __future__ import annotations

import importlib
import sys

NAMES = ("ingest", "roster_import", "authz", "analytics", "privacy", "portal", "identity", "load")


def main(argv: list[str]) -> int:
    wanted = argv or list(NAMES)
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; names: {', '.join(NAMES)}")
        return 2
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"{name}: not written yet (its issue is open)")
                continue
            raise
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
