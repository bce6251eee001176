"""The benchmark regression gate: the working tree against the stored baseline, normalised by calibration.

    .venv/bin/python benchmarks/gate.py            # exit 1 if a workload regressed
    .venv/bin/python benchmarks/gate.py --update   # store this run as the new baseline

Each workload of benchmarks/workloads.py (the handler hot path and a quarter
second of the explorer) is timed in short chunks, each between two chunks of the
calibration workload as long as itself, and the gate keeps the median over rounds of
workload time / calibration time. Pairing the two within milliseconds is what
makes the quotient stable on a shared machine: another tenant's burst slows
both sides of a pair. Timing them in separate pytest-benchmark runs and
dividing the medians moved the quotients by up to 40% between identical runs
here. A workload whose quotient grew by more than the threshold (25% by
default) over the baseline's fails the gate.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # noqa: E402 - the benchmarks' own workloads, next to this script

BASELINE = Path(__file__).resolve().parent / "baseline.json"
GATED = [*workloads.HANDLER, workloads.explore_small_spec]
CHUNK_SECONDS = 0.005


def _timed(function: Callable[..., Any], args: tuple, times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        function(*args)
    return (time.perf_counter() - started) / times


def _repetitions(function: Callable[..., Any], args: tuple, seconds: float) -> int:
    """How many calls make a chunk of about `seconds` (at least one)."""
    once = _timed(function, args, 1)
    return max(1, round(seconds / max(once, 1e-9)))


def relative_cost(workload: Callable[[], tuple], rounds: int) -> float:
    """Median over rounds of (workload's time per call) / (calibration's, timed just before and just after)."""
    function, args = workload()
    calibrate, calibrate_args = workloads.calibration()
    _timed(function, args, _repetitions(function, args, CHUNK_SECONDS))
    times = _repetitions(function, args, CHUNK_SECONDS)
    # Calibration chunks as long as the workload's, so both sides of a pair see the same contention.
    calibration_times = _repetitions(calibrate, calibrate_args, _timed(function, args, times) * times)
    ratios = []
    for _ in range(rounds):
        before = _timed(calibrate, calibrate_args, calibration_times)
        cost = _timed(function, args, times)
        after = _timed(calibrate, calibrate_args, calibration_times)
        ratios.append(cost / ((before + after) / 2))
    return statistics.median(ratios)


@click.command()
@click.option("--update", is_flag=True, help="Store this run as the baseline instead of comparing.")
@click.option("--threshold", type=click.FloatRange(min=0.0), default=0.25, show_default=True,
              help="Fail when a workload's relative cost grows by more than this fraction.")
@click.option("--rounds", type=click.IntRange(min=3), default=41, show_default=True,
              help="Paired rounds per workload.")
def main(update: bool, threshold: float, rounds: int) -> None:
    """Compare the working tree's relative costs with benchmarks/baseline.json."""
    if not update and not BASELINE.exists():
        raise click.ClickException(f"no baseline at {BASELINE}; create one with --update")
    now = {}
    for workload in GATED:
        now[workload.__name__] = relative_cost(workload, rounds)
    if update:
        BASELINE.write_text(json.dumps({"relative_cost": now}, indent=2, sort_keys=True) + "\n")
        click.echo(f"baseline written to {BASELINE} ({len(now)} workloads)")
        return
    try:
        baseline = json.loads(BASELINE.read_text())["relative_cost"]
    except (ValueError, KeyError, TypeError) as error:
        raise click.ClickException(f"{BASELINE}: not a baseline ({error}); refresh it with --update") from None
    table = Table("workload", "baseline", "now", "change", "verdict", box=None)
    regressed = []
    for name, cost in now.items():
        if name not in baseline:
            table.add_row(name, "-", f"{cost:.4g}", "", "new: not gated until --update")
            continue
        change = cost / baseline[name] - 1
        if change > threshold:
            regressed.append(name)
        table.add_row(name, f"{baseline[name]:.4g}", f"{cost:.4g}", f"{change:+.0%}",
                      "REGRESSED" if change > threshold else "ok")
    console = Console(highlight=False)
    console.print("cost relative to the calibration workload, paired in time:")
    console.print(table)
    if regressed:
        console.print(f"{len(regressed)} regressed by more than {threshold:.0%}: {', '.join(regressed)}")
        sys.exit(1)
    console.print(f"no regression over {threshold:.0%}")


if __name__ == "__main__":
    main()
