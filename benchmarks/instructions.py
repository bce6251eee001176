"""Instructions per explorer transition, counted by callgrind: a measure of the hot path that noise cannot move.

    .venv/bin/python benchmarks/instructions.py [--states 10000] [--more 50000] [SPEC ...]

On a shared machine, wall-clock rates of the same code move by 20% from one
run to the next, more than most changes to the hot path are worth.
Instruction counts hardly move (within 0.1% between runs): each spec is searched twice under
`valgrind --tool=callgrind`, to `--states` states and then to `--states +
--more`, and the difference in instructions over the difference in
transitions is what one transition costs, with start-up and imports
subtracted. To compare two versions, run the script again with PYTHONPATH
set to the other checkout. Instructions are not seconds (cache misses are
invisible), so confirm a large change by time too.

Needs valgrind (Debian's package). About a minute a spec; not run in CI.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click

SPECS = Path(__file__).resolve().parent.parent / "specs"
DEFAULT = ("election_replication_with_restart", "client_retries_and_reads", "five_nodes_elections")
COLLECTED = re.compile(r"Collected : (\d+)")


def search(name: str, states: int) -> None:
    """The measured run: breadth-first search of `name` to `states` states; prints states and transitions."""
    from raftcheck.checker.runner import collector_paused, model_at_start
    from raftcheck.checker.spec import load_spec
    from raftcheck.search import Limits, breadth_first

    model = model_at_start(load_spec(SPECS / f"{name}.toml"))
    with collector_paused():
        result = breadth_first(model, Limits(max_states=states))
    print(result.states, result.transitions)


def counted(name: str, states: int) -> tuple[int, int]:
    """(instructions, transitions) of one search under callgrind."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, "--search", name,
         "--states", str(states)],
        capture_output=True, text=True, check=False,
    )
    found = COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        raise click.ClickException(f"{name}: the run under callgrind failed: {run.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1)), int(run.stdout.split()[1])


@click.command()
@click.argument("names", nargs=-1)
@click.option("--states", default=10_000, show_default=True, help="States of the shorter run.")
@click.option("--more", default=50_000, show_default=True, help="States the longer run adds.")
@click.option("--search", "inner", default=None, hidden=True, help="Run one search (what callgrind counts).")
def main(names: tuple[str, ...], states: int, more: int, inner: str | None) -> None:
    if inner is not None:
        search(inner, states)
        return
    if shutil.which("valgrind") is None:
        raise click.ClickException("valgrind is not installed (apt-get install valgrind)")
    unknown = [name for name in names if not (SPECS / f"{name}.toml").is_file()]
    if unknown:
        raise click.ClickException(f"no spec named {unknown[0]!r} in {SPECS}")
    print("| spec | transitions counted | instructions per transition |")
    print("| --- | --- | --- |")
    for name in names or DEFAULT:
        short_instructions, short_transitions = counted(name, states)
        long_instructions, long_transitions = counted(name, states + more)
        transitions = long_transitions - short_transitions
        print(f"| {name} | {transitions:,} | {(long_instructions - short_instructions) / transitions:,.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
