"""A failing live run as a replayable trace: the records up to its first failure, in the merged order.

`raftcheck validate DIR --trace FILE` writes one; `raftcheck replay FILE`
re-runs it through the core and confirms that it fails the same way at the
same record. Every record before the failure is kept, from every node, since
each node's state depends on all its inputs (its clock included): the trace
is as long as the run was up to the failure, and the timeline shows only the
steps that changed what an invariant reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from raftcheck.checker.validation import Event, Failure, Runs, Validation, validate_runs
from raftcheck.errors import TraceError
from raftcheck.recording import Record, with_default_machine

FORMAT = 1


class RunRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One node's record (`source` names the node's record file)."""

    source: str
    record: Record


class RunTrace(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A live run up to its first failure: `failure` breaks at record `number` of `source`."""

    kind: Literal["run"]
    failure: str
    message: str
    source: str
    number: int
    records: tuple[RunRecord, ...]
    format: int = FORMAT


class _Kind(msgspec.Struct):
    kind: str = "model"


@dataclass
class RunReplay:
    """What re-running a run trace gave: the state changes in merged order, and its first failure."""

    changes: list[Event]
    failure: Failure | None
    error: str | None

    @property
    def confirms(self) -> bool:
        return self.error is None


def is_run_trace(data: bytes) -> bool:
    """Whether a trace file's bytes hold a live run rather than a model counterexample."""
    try:
        return msgspec.json.decode(data, type=_Kind).kind == "run"
    except msgspec.DecodeError:
        return False


def run_trace_of(runs: Runs, validation: Validation) -> RunTrace:
    """The shortest prefix of the merged run that fails: every record up to the first failure."""
    failure = validation.first_failure
    if failure is None:
        raise ValueError("the run has no failure to keep")
    merged = sorted((((record.time, number, source), RunRecord(source, record))
                     for source, records in runs.items() for number, record in enumerate(records, 1)),
                    key=lambda pair: pair[0])
    kept = tuple(record for key, record in merged if key <= failure.key)
    return RunTrace("run", failure.name, failure.message, failure.source, failure.number, kept)


def run_trace_document(trace: RunTrace) -> bytes:
    return msgspec.json.format(msgspec.json.encode(trace))


def load_run_trace(path: str | Path, data: bytes) -> RunTrace:
    try:
        trace = msgspec.json.decode(data, type=RunTrace)
    except msgspec.DecodeError as error:
        raise TraceError(f"{path}: not a raftcheck run trace: {error}") from None
    if trace.format != FORMAT:
        raise TraceError(f"{path}: run trace format {trace.format} is not supported (expected {FORMAT})")
    return msgspec.structs.replace(trace, records=tuple(
        RunRecord(r.source, with_default_machine(r.record)) for r in trace.records))


def replay_run(trace: RunTrace) -> RunReplay:
    """Re-run the records through the core; the first failure must be the recorded one, at the last record."""
    runs: Runs = {}
    for run_record in trace.records:
        runs.setdefault(run_record.source, []).append(run_record.record)
    try:
        validation = validate_runs(runs, keep_changes=True)
    except TraceError as error:
        return RunReplay([], None, str(error))
    failure = validation.first_failure
    if failure is None:
        return RunReplay(validation.changes, None, "the run re-runs without a failure")
    if (failure.name, failure.source, failure.number) != (trace.failure, trace.source, trace.number):
        return RunReplay(validation.changes, failure,
                         f"the first failure is {failure.name} at record {failure.number} of {failure.source}, "
                         f"not {trace.failure} at record {trace.number} of {trace.source} as recorded")
    return RunReplay(validation.changes, failure, None)
