"""`validate`: a recorded live run judged by the checker; a failing one saved as a replayable run trace."""

from __future__ import annotations

import sys

import click

from raftcheck.checker.run_trace import load_run_trace, replay_run, run_trace_document, run_trace_of
from raftcheck.checker.timeline import run_timeline_lines
from raftcheck.checker.validation import read_runs, validate_runs
from raftcheck.cli.output import check_output_path, console, fail, log, write_output
from raftcheck.errors import RaftcheckError

SHOWN_PROBLEMS = 5


@click.command()
@click.argument("record_dir", type=click.Path(file_okay=False))
@click.option("--trace", "trace_path", metavar="FILE",
              help="On a failure, write the run up to its first failure here, for `raftcheck replay FILE`.")
def validate(record_dir: str, trace_path: str | None) -> None:
    """Check a live run recorded with `raftcheck server --record DIR`: conformance and invariants.

    Exit status: 0 when the run conforms and no invariant breaks, 1 otherwise, 2 on bad input.
    """
    check_output_path(trace_path, "--trace")
    try:
        runs = read_runs(record_dir)
        result = validate_runs(runs)
    except RaftcheckError as error:
        fail(str(error))
    console.print(f"{record_dir}: {result.nodes} nodes, {result.steps:,} inputs re-run through the core, "
                  f"{result.states_checked:,} global states checked", markup=False)
    for problem in sorted(result.problems, key=lambda failure: failure.key)[:SHOWN_PROBLEMS]:
        console.print(f"conformance: {problem}", markup=False)
    if result.violation:
        console.print(f"violated: {result.violation}", markup=False)
    if result.ok:
        console.print("ok: every output matches the core, and no invariant breaks", markup=False)
        if trace_path:
            log.print(f"no failure: no trace written to {trace_path}", markup=False)
        return
    if trace_path:
        trace = run_trace_of(runs, result)
        write_output(trace_path, run_trace_document(trace))
        log.print(f"wrote the first {len(trace.records):,} records, up to the first failure ({trace.failure}), to "
                  f"{trace_path}; `raftcheck replay {trace_path}` re-runs them", markup=False)
    sys.exit(1)


def replay_run_file(trace_file: str, data: bytes) -> None:
    """`raftcheck replay` of a run trace: re-run it and confirm its first failure."""
    try:
        trace = load_run_trace(trace_file, data)
    except RaftcheckError as error:
        fail(str(error))
    replayed = replay_run(trace)
    for line in run_timeline_lines(replayed):
        console.print(line, markup=False)
    if not replayed.confirms:
        fail(f"the run trace does not replay: {replayed.error}", code=1)
    failure = replayed.failure
    console.print(f"confirmed: {failure.name} at record {failure.number} of {failure.source}, the last of "
                  f"{len(trace.records):,} records: {failure.message}", markup=False)


COMMANDS = (validate,)
