"""Each switch spec without its scripted prefix: simulation (seconds, shrunk length) against BFS (shortest length).

    .venv/bin/python benchmarks/simulate_switch_specs.py [--seconds 60] [SPEC ...]

Prints a Markdown table for README. Not run in CI: up to two minutes a spec.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click

from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import load_spec
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"


def without_prefix(path: Path, **settings):
    spec = load_spec(path)
    spec = dataclasses.replace(spec, start=(), start_tables=())
    return run_spec(dataclasses.replace(spec, settings=from_flat(settings, spec.settings)))


@click.command()
@click.argument("names", nargs=-1)
@click.option("--seconds", default=60.0, show_default=True, help="Budget per spec and per mode.")
def main(names: tuple[str, ...], seconds: float) -> None:
    paths = [SPECS / f"{name}.toml" for name in names] or sorted(SPECS.glob("*.toml"))
    print("| switch spec | simulation: seconds | shrunk length | BFS: seconds | shortest length |")
    print("| --- | --- | --- | --- | --- |")
    for path in paths:
        spec = load_spec(path)
        if spec.expected_verdict != "violation":
            continue
        row = [spec.name]
        for mode in ("simulate", "bfs"):
            started = time.perf_counter()
            result = without_prefix(path, search=mode, walks=10**6, walk_steps=300, max_seconds=seconds)
            took = time.perf_counter() - started
            if result.matches:
                row += [f"{took:.1f}", str(len(result.trace.actions))]
            else:
                row += [f"not found in {seconds:g} s", ""]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
