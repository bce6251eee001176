"""Trace validation: a live run, recorded by its nodes, checked by the checker's own invariants.

Each node's record (`raftcheck.recording`) is re-run through the core from
the state the node recovered: every output must equal what the node sent
(conformance: the service runs the core it claims to run), every message a
node got from another node must have been sent by it, and a restart must not
recover less than the node had made durable. Every step (what it sent, and
LeaderAppendOnly) is judged by the reply invariants. The nodes' states are
then merged in wall-clock order into global states, and every state
invariant of the checker is evaluated on each (network invariants cannot be:
the messages in flight were not recorded). Wall clocks of processes on one
machine agree; across machines, ordering is only as good as their clocks.

Every failure has a place in that global order (`Failure.key`), so the
records up to the first one are a run of their own that fails the same way:
`raftcheck.checker.run_trace` saves them as a replayable trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from raftcheck.core import Message, NodeState, handle, recover
from raftcheck.errors import TraceError
from raftcheck.model.cluster import ClusterView, with_full_log
from raftcheck.properties import RAFT_INVARIANTS
from raftcheck.recording import Record, Start, read_records

REPLY_INVARIANTS = [i for i in RAFT_INVARIANTS if i.on_replies]
STATE_INVARIANTS = [i for i in RAFT_INVARIANTS if i.on_states]

MAX_PER_NODE = 5

Runs = dict[str, list[Record]]
"""Each node's records, by the name of its record file (without .jsonl)."""


@dataclass(frozen=True)
class Failure:
    """One thing wrong with a live run, and where: record `number` of `source`, handled at `time`."""

    name: str
    message: str
    source: str
    number: int
    time: float

    @property
    def key(self) -> tuple[float, int, str]:
        """The record's place in the merged run."""
        return (self.time, self.number, self.source)

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


@dataclass(frozen=True)
class Event:
    """One record's result in the merged run: the node's state after it, and the input (None for a start)."""

    time: float
    number: int
    source: str
    state: NodeState
    input: Message | None

    @property
    def key(self) -> tuple[float, int, str]:
        return (self.time, self.number, self.source)


@dataclass
class Validation:
    nodes: int = 0
    steps: int = 0
    states_checked: int = 0
    problems: list[Failure] = field(default_factory=list)
    violation: Failure | None = None
    changes: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.violation is None

    @property
    def first_failure(self) -> Failure | None:
        """The failure earliest in the merged run: the end of the shortest failing prefix."""
        failures = self.problems + ([self.violation] if self.violation else [])
        return min(failures, key=lambda failure: failure.key, default=None)


@dataclass
class _Merge:
    """The global run so far: each node's latest state, the leaders seen, the committed log."""

    states: dict[str, NodeState] = field(default_factory=dict)
    elected: set[tuple[int, str]] = field(default_factory=set)
    committed: list = field(default_factory=list)
    commit_terms: list[int] = field(default_factory=list)
    # Invariants memoise per node state and per committed prefix, as they do in the model: a key per
    # distinct node state (every state is kept, so a key is never reused) and the committed length.
    keys: dict[int, int] = field(default_factory=dict)
    kept: list[NodeState] = field(default_factory=list)
    memo: dict = field(default_factory=dict)

    def key(self, state: NodeState) -> int:
        key = self.keys.get(id(state))
        if key is None:
            key = self.keys[id(state)] = len(self.kept)
            self.kept.append(state)
        return key

    def update(self, state: NodeState) -> None:
        previous = self.states.get(state.id)
        self.states[state.id] = state
        if state.role.value == "leader":
            self.elected.add((state.current_term, state.id))
        for index in range(len(self.committed) + 1, state.commit_index + 1):
            entry = _entry_at(state, index)
            if entry is None and previous is not None:
                entry = _entry_at(previous, index)  # committed and compacted in one step
            if entry is None:
                break
            self.committed.append(entry)
            self.commit_terms.append(state.current_term)

    def view(self) -> ClusterView:
        names = tuple(sorted(self.states))
        committed = tuple(self.committed)
        nodes = tuple(self.states[n] for n in names)
        return ClusterView(names, tuple(with_full_log(node, committed) for node in nodes), (),
                           tuple(sorted(self.elected)), committed, tuple(self.commit_terms), tuple(map(self.key, nodes)),
                           (len(self.committed),), self.memo,
                           tuple(node.snapshot.index if node.snapshot is not None else 0 for node in nodes))


def _entry_at(state: NodeState, index: int):
    """The entry at absolute `index` if `state` still holds it (it is after the snapshot), else None."""
    position = index - 1 - (state.snapshot.index if state.snapshot is not None else 0)
    return state.log[position] if 0 <= position < len(state.log) else None


def validate(directory: str | Path) -> Validation:
    """Conformance and invariants of the run recorded in `directory` (one *.jsonl per node)."""
    return validate_runs(read_runs(directory))


def read_runs(directory: str | Path) -> Runs:
    """Every node's records in `directory`; TraceError when there are none or one does not decode."""
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise TraceError(f"{directory}: no node records (*.jsonl); start the nodes with --record {directory}")
    runs = {}
    for path in files:
        try:
            runs[path.stem] = read_records(path)
        except (OSError, msgspec.DecodeError) as error:
            raise TraceError(f"{path}: not a node record: {error}") from None
    return runs


def validate_runs(runs: Runs, keep_changes: bool = False) -> Validation:
    """Re-run every node's records, then judge the merged run; `keep_changes` keeps each state change."""
    result = Validation(nodes=len(runs))
    events: list[Event] = []
    traffic = _Traffic()
    for source, records in runs.items():
        events += _replay_node(source, records, result, traffic)
    traffic.check(result)
    events.sort(key=lambda event: event.key)
    merge = _Merge()
    for event in events:
        state = event.state
        if _unchanged(merge.states.get(state.id), state):
            merge.states[state.id] = state
            continue
        merge.update(state)
        if keep_changes:
            result.changes.append(event)
        view = merge.view()
        result.states_checked += 1
        broken = _first_broken(view)
        if broken is not None:
            result.violation = Failure(*broken, event.source, event.number, event.time)
            return result
    return result


def _first_broken(view: ClusterView) -> tuple[str, str] | None:
    for invariant in STATE_INVARIANTS:
        message = invariant.check(view)
        if message is not None:
            return invariant.name, message
    return None


@dataclass
class _Traffic:
    """What every node received and everything any node sent."""

    received: list[tuple[str, str, int, float, Message]] = field(default_factory=list)
    sent: set[Message] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)

    def check(self, result: Validation) -> None:
        """Every message a node got from another node was sent by it (loss and duplication are allowed)."""
        reported: dict[str, int] = {}
        for source, node, number, time, message in self.received:
            sender = getattr(message, "src", None)
            if sender in self.nodes and message not in self.sent and reported.get(source, 0) < MAX_PER_NODE:
                reported[source] = reported.get(source, 0) + 1
                result.problems.append(Failure("MessagesWereSent", f"{node} at record {number} received a "
                                               f"{type(message).__name__} from {sender} that {sender} never sent",
                                               source, number, time))


def _replay_node(source: str, records: list[Record], result: Validation, traffic: _Traffic) -> list[Event]:
    events = []
    state: NodeState | None = None
    reported = 0

    def report(name: str, message: str, number: int, time: float) -> None:
        nonlocal reported
        if reported < MAX_PER_NODE:
            reported += 1
            result.problems.append(Failure(name, message, source, number, time))

    for number, record in enumerate(records, 1):
        if type(record) is Start:
            if state is not None and record.term < state.current_term:
                report("DurableStateKept", f"{record.node} restarted at term {record.term} after reaching term "
                       f"{state.current_term}: durable state was lost", number, record.time)
            try:
                state = recover(record.node, record.bootstrap, record.params, record.term, record.voted_for, record.log,
                                record.snapshot)
            except ValueError as error:
                raise TraceError(f"{source}: record {number}: {error}") from None
            events.append(Event(record.time, number, source, state, None))
            traffic.nodes.add(record.node)
            continue
        if state is None:
            raise TraceError(f"{source}: record {number} comes before the node's start record")
        traffic.received.append((source, state.id, number, record.time, record.input))
        traffic.sent.update(record.sent)
        before = state
        state, sent = handle(state, record.input)
        result.steps += 1
        if tuple(sent) != record.sent:
            report("Conformance", f"{state.id} at record {number}: {_difference(tuple(sent), record.sent)} "
                   f"({type(record.input).__name__} in)", number, record.time)
        for invariant in REPLY_INVARIANTS:
            fault = invariant.check(before, record.input, state, sent)
            if fault is not None:
                report(invariant.name, f"{state.id} at record {number}: {fault}", number, record.time)
        events.append(Event(record.time, number, source, state, record.input))
    return events


def _difference(core: tuple[Message, ...], node: tuple[Message, ...]) -> str:
    if len(core) != len(node):
        return f"the core sends {len(core)} messages where the node sent {len(node)}"
    position = next(i for i, (a, b) in enumerate(zip(core, node)) if a != b)
    return f"the core's message {position + 1} of {len(core)} differs from what the node sent"


def _unchanged(previous: NodeState | None, state: NodeState) -> bool:
    """Whether nothing an invariant reads changed (ticks mostly move clocks only)."""
    return previous is not None and (
        previous.role is state.role and previous.current_term == state.current_term
        and previous.voted_for == state.voted_for and previous.log is state.log
        and previous.commit_index == state.commit_index and previous.votes == state.votes
        and previous.config == state.config
    )
