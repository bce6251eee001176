"""Each switch spec without its scripted prefix: simulation (seconds, shrunk length) against BFS (shortest length).

    .venv/bin/python benchmarks/simulate_switch_specs.py [--seconds 60] [--all-invariants] [--seed S] [--workers N]
        [--no-bfs] [SPEC ...]

Prints a Markdown table for README. Not run in CI: up to two minutes a spec. With --all-invariants every
invariant is checked, not only the spec's own, and the first one to break counts (the inductive invariants
break at the faulty step, so the path is shorter).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click

from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import load_spec
from raftcheck.properties import ALL_INVARIANTS
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"


def without_prefix(path: Path, **settings):
    spec = load_spec(path)
    spec = dataclasses.replace(spec, start=(), start_tables=())
    return run_spec(dataclasses.replace(spec, settings=from_flat(settings, spec.settings)))


@click.command()
@click.argument("names", nargs=-1)
@click.option("--seconds", default=60.0, show_default=True, help="Budget per spec and per mode.")
@click.option("--all-invariants", is_flag=True, help="Check every invariant; any violation counts.")
@click.option("--seed", default=0, show_default=True, help="The simulation's seed (its walks, and so its luck).")
@click.option("--workers", default=1, show_default=True, help="Processes that share the simulation's walks.")
@click.option("--no-bfs", is_flag=True, help="Simulation only; the BFS columns stay empty.")
def main(names: tuple[str, ...], seconds: float, all_invariants: bool, seed: int, workers: int, no_bfs: bool) -> None:
    paths = [SPECS / f"{name}.toml" for name in names] or sorted(SPECS.glob("*.toml"))
    extra = {"invariants": ALL_INVARIANTS} if all_invariants else {}
    found_column = " invariant broken |" if all_invariants else ""
    print(f"| switch spec |{found_column} simulation: seconds | shrunk length | BFS: seconds | shortest length |")
    print("| --- |" + " --- |" * (5 if all_invariants else 4))
    for path in paths:
        spec = load_spec(path)
        if spec.expected_verdict != "violation" or spec.settings.check.liveness:
            continue
        row = [spec.name]
        broken = set()
        for mode in ("simulate",) if no_bfs else ("simulate", "bfs"):
            started = time.perf_counter()
            shared = {"workers": workers} if mode == "simulate" else {}
            result = without_prefix(path, search=mode, walks=10**6, walk_steps=300, max_seconds=seconds, seed=seed,
                                    **shared, **extra)
            took = time.perf_counter() - started
            if result.matches or (all_invariants and result.verdict == "violation"):
                row += [f"{took:.1f}", str(len(result.trace.actions))]
                broken.add(result.invariant)
            elif result.verdict == "violation":
                row += [f"{result.invariant} instead, {took:.1f}", str(len(result.trace.actions))]
            else:
                row += [f"not found in {seconds:g} s", ""]
        if no_bfs:
            row += ["", ""]
        if all_invariants:
            row.insert(1, ", ".join(sorted(broken)))
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
