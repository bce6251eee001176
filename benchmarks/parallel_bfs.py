"""Parallel BFS against single-process BFS on the same specs: the speed-up, and proof the results are identical.

    .venv/bin/python benchmarks/parallel_bfs.py [--workers 2] [--rounds 3] [SPEC ...]

A name ending in `@boot` runs that spec without its scripted start: the
default `check_prev_log_term@boot` is a violation found after about 700,000
states, where its own start finds it after a few hundred.

Single and parallel runs alternate, so noise from other tenants of a shared
machine hits both; each mode's best round is compared. States, transitions
and depth must be equal (for a violation: the counterexample's length and
its invariant), or the script exits 1. Prints a Markdown table for README.
Not run in CI: about a minute a spec.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from raftcheck.checker.runner import run_spec
from raftcheck.checker.spec import load_spec
from raftcheck.settings import from_flat

SPECS = Path(__file__).resolve().parent.parent / "specs"
DEFAULT = ("client_retries_and_reads", "five_nodes_elections", "membership_writes_and_crashes",
           "election_replication_with_restart", "check_prev_log_term@boot")
FROM_BOOT = "@boot"


def outcome(result) -> tuple:
    """What must not depend on the number of workers."""
    search = result.search
    if search.verdict == "violation":
        return search.verdict, search.violation.property, len(result.trace.actions)
    return search.verdict, search.states, search.transitions, search.depth, sorted(search.unexpanded.items())


@click.command()
@click.argument("names", nargs=-1)
@click.option("--workers", default=2, show_default=True, help="Worker processes of the parallel runs.")
@click.option("--rounds", default=3, show_default=True, help="Runs of each mode; the best one counts.")
def main(names: tuple[str, ...], workers: int, rounds: int) -> None:
    print(f"| spec | states | single: states/s | {workers} workers: states/s | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    differ = []
    for name in names or DEFAULT:
        spec = load_spec(SPECS / f"{name.removesuffix(FROM_BOOT)}.toml")
        if name.endswith(FROM_BOOT):
            spec = dataclasses.replace(spec, start=(), start_tables=())
        parallel = dataclasses.replace(spec, settings=from_flat({"workers": workers}, spec.settings))
        best = {1: float("inf"), workers: float("inf")}
        seen = {}
        for _ in range(rounds):
            for count, which in ((1, spec), (workers, parallel)):
                result = run_spec(which)
                best[count] = min(best[count], result.search.seconds)
                seen.setdefault(count, outcome(result))
        if seen[1] != seen[workers]:
            differ.append(f"{name}: {seen[1]} against {seen[workers]}")
        states = result.search.states
        rate = {count: states / seconds for count, seconds in best.items()}
        print(f"| {name} | {states:,} | {rate[1]:,.0f} | {rate[workers]:,.0f} | {best[1] / best[workers]:.2f}x |",
              flush=True)
    for line in differ:
        print(f"results differ: {line}", file=sys.stderr)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
