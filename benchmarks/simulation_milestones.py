"""How far along a switch spec's own counterexample a simulation from boot gets, and where it stops.

    .venv/bin/python benchmarks/simulation_milestones.py SPEC [--seconds 60] [--seed 0]

The spec is checked as written (its start, then breadth-first search), which
gives one counterexample from boot. A simulation from boot then runs for
`--seconds`, and each state along that counterexample is marked:

- `S`: the simulation reached this very state (up to symmetry);
- `C`: it reached some state with the same abstract key (`coverage`), so the
  corpus holds another state in its place;
- `-`: neither.

The first state without `S` is where the walks lose the scenario, and a run
of `C` after it says the abstraction merges what the scenario needs apart.
Not run in CI: a diagnostic for work on the simulation's reach.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from raftcheck.checker.runner import collector_paused, model_at_start, run_spec
from raftcheck.checker.spec import load_spec
from raftcheck.model.steps import describe_step, step_text
from raftcheck.model.cluster import swarm_kind
from raftcheck.search import Limits
from raftcheck.search.simulate import Walks, simulate

SPECS = Path(__file__).resolve().parent.parent / "specs"


@click.command()
@click.argument("name")
@click.option("--seconds", default=60.0, show_default=True, help="The simulation's budget.")
@click.option("--seed", default=0, show_default=True, help="The simulation's seed.")
def main(name: str, seconds: float, seed: int) -> None:
    path = SPECS / f"{name}.toml"
    if not path.is_file():
        raise click.ClickException(f"no spec named {name!r} in {SPECS}")
    spec = load_spec(path)
    checked = run_spec(spec)
    if checked.trace is None:
        raise click.ClickException(f"{name}: no counterexample to follow (verdict {checked.verdict})")
    model = model_at_start(dataclasses.replace(spec, start=(), start_tables=()))
    path_states = [model.initial_states()[checked.trace.initial]]
    for action in checked.trace.actions:
        path_states.append(model.next_state(path_states[-1], action))
    seen: set[int] = set()
    covered: set = set()
    with collector_paused():
        result = simulate(model, Limits(max_seconds=seconds), Walks(walks=10**9, steps=300, seed=seed),
                          kind_of=swarm_kind, abstraction=model.coverage, seen=seen, covered=covered)
    found = "found" if result.violation else "not found"
    print(f"{name}, seed {seed}, {seconds:g} s: {found}; {result.walks:,} walks, {result.states:,} states, "
          f"{len(covered):,} abstract states; the counterexample has {len(checked.trace.actions)} steps")
    steps = [None, *checked.trace.actions]
    for number, (action, state) in enumerate(zip(steps, path_states)):
        mark = ("S" if model.fingerprint(state) in seen else "-") + ("C" if model.coverage(state) in covered else "-")
        print(f"{number:4d} {mark} {step_text(describe_step(action)) if action is not None else '(boot)'}")


if __name__ == "__main__":
    sys.exit(main())
