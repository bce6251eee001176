"""A seeded random sample of the core's mutants, judged like a full run, with the kill rate it supports.

A full run costs hours, almost all of it in survivors (each runs the whole CI
spec set). A uniform sample gives an unbiased kill rate with a confidence
interval in a fraction of that. The same seed and size pick the same mutants.

    .venv/bin/python mutation/sample.py [--size N] [--seed S] [--children C]
    .venv/bin/python mutation/sample.py --report     (the sample's results so far)
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = str(ROOT / ".venv" / "bin" / "mutmut")
SAMPLE = ROOT / "mutants" / "sample.json"


def all_mutants() -> dict[str, int | None]:
    """Every generated mutant of the core, with its exit code (None until run)."""
    found: dict[str, int | None] = {}
    for meta in sorted((ROOT / "mutants" / "raftcheck" / "core").glob("*.py.meta")):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def generate() -> None:
    """Generate the mutants and run mutmut's baseline (the judge on the unmutated core) without any mutant.

    mutmut then complains that the filter matched no mutant, which is the point.
    """
    subprocess.run([MUTMUT, "run", "raftcheck.core.no_such_function*"], cwd=ROOT, capture_output=True)
    if not all_mutants():
        raise SystemExit("mutmut generated no mutants: run `.venv/bin/mutmut run` to see why")


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def report() -> int:
    if not SAMPLE.exists():
        print("no sample yet: run mutation/sample.py first", file=sys.stderr)
        return 2
    sample = json.loads(SAMPLE.read_text())
    codes = all_mutants()
    statuses = Counter(status_by_exit_code[codes.get(name)] for name in sample["names"])
    print(f"sample of {len(sample['names'])} of {sample['population']} mutants (seed {sample['seed']}): "
          + ", ".join(f"{count} {status}" for status, count in statuses.most_common()))
    for name in sample["names"]:
        status = status_by_exit_code[codes.get(name)]
        if status in ("survived", "no tests"):
            print(f"  {status:9} {name}")
    killed = statuses["killed"] + statuses["timeout"]
    judged = killed + statuses["survived"] + statuses["no tests"]
    low, high = wilson(killed, judged)
    print(f"killed {killed} of {judged} judged ({killed / max(judged, 1):.1%}; 95% interval {low:.1%} to {high:.1%}),"
          " before survivors are classified (mutation/survivors.md)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--children", type=int, default=2)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        return report()
    if not all_mutants():
        generate()
    population = sorted(all_mutants())
    names = sorted(random.Random(args.seed).sample(population, min(args.size, len(population))))
    SAMPLE.write_text(json.dumps({"seed": args.seed, "population": len(population), "names": names}))
    subprocess.run([MUTMUT, "run", "--max-children", str(args.children), *names], cwd=ROOT, check=True)
    return report()


if __name__ == "__main__":
    sys.exit(main())
