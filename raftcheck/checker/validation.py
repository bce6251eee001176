"""Trace validation: a live run, recorded by its nodes, checked by the checker's own invariants.

Each node's record (`raftcheck.recording`) is re-run through the core from
the state the node recovered: every output must equal what the node sent
(conformance: the service runs the core it claims to run), every message a
node got from another node must have been sent by it, and a restart must not
recover less than the node had made durable. Every step's replies to
clients are judged by the reply invariants. The nodes' states are
then merged in wall-clock order into global states, and every state and step
invariant of the checker is evaluated on each (network invariants cannot be:
the messages in flight were not recorded). Wall clocks of processes on one
machine agree; across machines, ordering is only as good as their clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from raftcheck.core import Message, NodeState, handle, recover
from raftcheck.errors import TraceError
from raftcheck.model.cluster import ClusterView, with_full_log
from raftcheck.properties import RAFT_INVARIANTS
from raftcheck.recording import Start, read_records

REPLY_INVARIANTS = [i for i in RAFT_INVARIANTS if i.on_replies]

MAX_REPORTED = 5


@dataclass
class Validation:
    nodes: int = 0
    steps: int = 0
    states_checked: int = 0
    problems: list[str] = field(default_factory=list)
    violation: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.violation is None


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
    files = sorted(Path(directory).glob("*.jsonl"))
    if not files:
        raise TraceError(f"{directory}: no node records (*.jsonl); start the nodes with --record {directory}")
    result = Validation(nodes=len(files))
    events: list[tuple[float, int, NodeState]] = []
    traffic = _Traffic()
    for path in files:
        events += _replay_node(path, result, traffic)
    traffic.check(result)
    events.sort(key=lambda event: (event[0], event[1]))
    state_invariants = [i for i in RAFT_INVARIANTS if i.on_states]
    step_invariants = [i for i in RAFT_INVARIANTS if i.on_steps]
    merge, before = _Merge(), None
    for _, _, state in events:
        if _unchanged(merge.states.get(state.id), state):
            merge.states[state.id] = state
            continue
        merge.update(state)
        view = merge.view()
        result.states_checked += 1
        for invariant in state_invariants:
            message = invariant.check(view)
            if message is not None:
                result.violation = f"{invariant.name}: {message}"
                return result
        if before is not None:
            for invariant in step_invariants:
                message = invariant.check(before, view)
                if message is not None:
                    result.violation = f"{invariant.name}: {message}"
                    return result
        before = view
    return result


@dataclass
class _Traffic:
    """What every node received (node, record number, message) and everything any node sent."""

    received: list[tuple[str, int, Message]] = field(default_factory=list)
    sent: set[Message] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)

    def check(self, result: Validation) -> None:
        """Every message a node got from another node was sent by it (loss and duplication are allowed)."""
        for node, number, message in self.received:
            source = getattr(message, "src", None)
            if source in self.nodes and message not in self.sent and len(result.problems) < MAX_REPORTED:
                result.problems.append(f"{node} at record {number} received a {type(message).__name__} from "
                                       f"{source} that {source} never sent")


def _replay_node(path: Path, result: Validation, traffic: _Traffic) -> list[tuple[float, int, NodeState]]:
    try:
        records = read_records(path)
    except (OSError, msgspec.DecodeError) as error:
        raise TraceError(f"{path}: not a node record: {error}") from None
    events = []
    state: NodeState | None = None
    for number, record in enumerate(records, 1):
        if type(record) is Start:
            if state is not None and record.term < state.current_term:
                result.problems.append(f"{record.node} restarted at term {record.term} after reaching term "
                                       f"{state.current_term}: durable state was lost")
            try:
                state = recover(record.node, record.bootstrap, record.params, record.term, record.voted_for, record.log,
                                record.snapshot)
            except ValueError as error:
                raise TraceError(f"{path}: record {number}: {error}") from None
            events.append((record.time, number, state))
            traffic.nodes.add(record.node)
            continue
        if state is None:
            raise TraceError(f"{path}: record {number} comes before the node's start record")
        traffic.received.append((state.id, number, record.input))
        traffic.sent.update(record.sent)
        before = state
        state, sent = handle(state, record.input)
        result.steps += 1
        if tuple(sent) != record.sent and len(result.problems) < MAX_REPORTED:
            result.problems.append(f"{state.id} at record {number}: the core sends {len(sent)} messages where the "
                                   f"node sent {len(record.sent)} ({type(record.input).__name__} in)")
        for invariant in REPLY_INVARIANTS:
            fault = invariant.check(before, record.input, state, sent)
            if fault is not None and len(result.problems) < MAX_REPORTED:
                result.problems.append(f"{state.id} at record {number}: {invariant.name}: {fault}")
        events.append((record.time, number, state))
    return events


def _unchanged(previous: NodeState | None, state: NodeState) -> bool:
    """Whether nothing an invariant reads changed (ticks mostly move clocks only)."""
    return previous is not None and (
        previous.role is state.role and previous.current_term == state.current_term
        and previous.voted_for == state.voted_for and previous.log is state.log
        and previous.commit_index == state.commit_index and previous.votes == state.votes
        and previous.config == state.config
    )
