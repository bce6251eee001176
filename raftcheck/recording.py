"""What a live node records for trace validation: every input it passes to `handle`, and what it sent.

One JSON Lines file per node. A `Start` line opens each run of the process
(the durable state it recovered and its parameters); each `Step` line is one
input, the wall-clock time it was handled, and the messages `handle`
returned. `raftcheck validate` re-runs each node's inputs through the core
and checks the checker's invariants on the merged global states.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import msgspec
from msgspec.structs import replace

from raftcheck.core import Entry, Message, NodeParams, NodeState, Snapshot
from raftcheck.core.statemachine import KeyValueStore


class Start(msgspec.Struct, tag="start", forbid_unknown_fields=True):
    node: str
    time: float
    bootstrap: bool
    term: int
    voted_for: str | None
    log: tuple[Entry, ...]
    params: NodeParams
    snapshot: Snapshot | None = None


class Step(msgspec.Struct, tag="step", forbid_unknown_fields=True):
    time: float
    input: Message
    sent: tuple[Message, ...]


Record = Start | Step
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Record).decode


class Recorder:
    """Appends one node's records to DIR/<node>.jsonl, flushed after each batch."""

    def __init__(self, directory: Path, state: NodeState, time: float) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = open(directory / f"{state.id.replace(':', '_')}.jsonl", "ab")
        params = replace(state.params, state_machine=KeyValueStore())
        self._write(Start(state.id, time, state.bootstrap, state.current_term, state.voted_for, state.log, params,
                          state.snapshot))

    def step(self, time: float, message: Message, sent: tuple[Message, ...]) -> None:
        self._write(Step(time, message, sent))

    def flush(self) -> None:
        self._file.flush()

    def _write(self, record: Record) -> None:
        self._file.write(_encode(record) + b"\n")


def read_records(path: Path) -> list[Record]:
    """Every record of one node's file; msgspec.DecodeError (with the line) on a bad one."""
    records = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if line.strip():
            try:
                record = _decode(line)
            except msgspec.DecodeError as error:
                raise msgspec.DecodeError(f"line {number}: {error}") from None
            records.append(with_default_machine(record))
    return records


def with_default_machine(record: Record) -> Record:
    """A decoded record with the service's state machine in its parameters (JSON does not carry code)."""
    if type(record) is Start:
        return replace(record, params=replace(record.params, state_machine=KeyValueStore()))
    return record
