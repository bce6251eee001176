"""Which safety switches the passing CI specs catch, with no spec written for them.

Each switch spec was written around its own bug. This sweep turns each switch
off in turn and runs the *passing* CI specs (cheapest first, no scripted
prefix, each capped at 4x the states it explores on the correct core) until
one finds a violation. A switch no passing spec catches is a bug class the
shipped spec set would miss in a real implementation.

    .venv/bin/python mutation/switch_sweep.py [SWITCH ...]   (default: every switch)
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from raftcheck.checker.runner import run_or_refuse
from raftcheck.core import RULE_DESCRIPTIONS
from raftcheck.settings import from_flat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_judge import CHEAPEST_FIRST, ci_specs  # noqa: E402


def main(switches: list[str]) -> int:
    rank = {name: index for index, name in enumerate(CHEAPEST_FIRST)}
    passing = [spec for spec in ci_specs() if spec.expected_verdict == "pass"]
    passing.sort(key=lambda spec: (rank.get(spec.name, len(rank)), spec.name))
    caught = 0
    print(f"{'switch off':38} {'first passing spec to break':34} {'invariant':28} {'depth':>5} {'states':>9}")
    for rule in switches or RULE_DESCRIPTIONS:
        found = None
        for spec in passing:
            cap = 4 * CHEAPEST_FIRST.get(spec.name, 250_000)
            disabled = (rule, "commit_current_term_only") if rule == "leader_noop_on_election" else (rule,)
            settings = from_flat({"disabled_rules": disabled, "max_states": cap}, spec.settings)
            result = run_or_refuse(dataclasses.replace(spec, settings=settings))
            if result.error is not None:  # a scripted start that the switch makes impossible or ambiguous
                print(f"  ({spec.name} skipped: {result.error})", flush=True)
                continue
            if result.verdict == "violation":
                found = (spec.name, result.invariant, result.search.depth, result.search.states)
                break
        if found:
            caught += 1
            print(f"{rule:38} {found[0]:34} {found[1]:28} {found[2]:>5} {found[3]:>9,}", flush=True)
        else:
            print(f"{rule:38} {'(none)':34}", flush=True)
    print(f"{caught} of {len(switches or RULE_DESCRIPTIONS)} switches caught by specs not written for them")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
