"""The quotient a liveness check explores: cluster states up to how many elections came before.

A livelock in Raft never repeats a state exactly: every election raises the
terms, and every new leader appends a no-op. On a bounded state graph such a
run ends at the term bound instead of closing a cycle, so it cannot be told
from a run that merely stopped. Raft's handlers compare terms only with each
other (and add one at an election), and log indexes only with each other, so
the quotient forgets what they cannot see:

- terms are renumbered in order, keeping term 0, and a gap of two or more
  between used terms becomes a gap of exactly two (a lagging node's next
  election still lands in a gap);
- a no-op entry that every log holding its index holds alike, and that no
  index anywhere points at (a log end, a commit or configuration index, a
  leader's next or match index, a snapshot's bounds, a message's index
  fields), is removed, and the indexes above it shift down. An index that
  snapshots have compacted is removed the same way, as long as no log
  still shows it as other than that no-op; but not one a node has applied
  and not yet compacted, since how many there are decides when it compacts.

A state of the quotient is itself a cluster state, so the model steps it
with the real core. The quotient is a heuristic, not a proven bisimulation:
every lasso found on it is replayed on the concrete cluster, lap by lap,
before it is reported.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from msgspec.structs import replace

from raftcheck.core import (
    AppendEntriesRequest,
    AppendEntriesResponse,
    Entry,
    InstallSnapshotRequest,
    Message,
    NodeState,
    Noop,
    RequestVoteRequest,
    RequestVoteResponse,
    TimeoutNow,
)
from raftcheck.core.log import last_index, snapshot_index
from raftcheck.model.cluster import World, faults_that_last
from raftcheck.model.universe import Universe

_MAX_GAP = 2


_QUOTIENTS: weakref.WeakKeyDictionary[Universe, Quotient] = weakref.WeakKeyDictionary()


def quotient(world: World, universe: Universe) -> World:
    """`world`'s representative, through the one Quotient (and its caches) of `universe`."""
    q = _QUOTIENTS.get(universe)
    if q is None:
        q = _QUOTIENTS[universe] = Quotient(universe)
    return q(world)


class Quotient:
    """`quotient(world)`: the representative of `world`'s class, with the history variables and budgets dropped.

    Faults have stopped in the part of a run a liveness check explores, so the
    budgets no longer matter (the links cut so far stay cut), and the history
    variables serve only the safety invariants. What each interned node and message contributes (its terms
    and the indexes it points at) is computed once; a world already in
    canonical form is returned without decoding anything.
    """

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self._nodes: dict[int, tuple[frozenset[int], frozenset[int], int]] = {}
        self._messages: dict[int, tuple[frozenset[int], frozenset[int], int]] = {}

    def __call__(self, world: World) -> World:
        u = self.universe
        terms: set[int] = {0}
        referenced: set[int] = set()
        longest = 0
        for n in world.nodes:
            node_terms, node_indexes, length = self._node_info(n)
            terms |= node_terms
            referenced |= node_indexes
            longest = max(longest, length)
        for m in world.network:
            message_terms, message_indexes, _ = self._message_info(m)
            terms |= message_terms
            referenced |= message_indexes
        nodes = [u.node_states[n] for n in world.nodes]
        removable = [i for i in range(2, longest) if i not in referenced] if self._compress_any(nodes) else []
        messages = None
        if removable:
            messages = [u.messages[m] for m in world.network]
            removable = [i for i in removable if _same_noop_everywhere(i, nodes, messages)]
        links = faults_that_last(world.used)
        if not removable and _canonical(terms):
            return World(world.nodes, world.network, links, (), (), ())
        if messages is None:
            messages = [u.messages[m] for m in world.network]
        if removable:
            nodes, messages = _drop_noops(nodes, messages, removable)
        nodes, messages = _renumber_terms(nodes, messages)
        network = tuple(sorted(u.message(m) for m in messages))
        return World(tuple(u.node(n) for n in nodes), network, links, (), (), ())

    def _compress_any(self, nodes: list[NodeState]) -> bool:
        """Batch boundaries would move if entries disappeared under a cap on AppendEntries."""
        params = nodes[0].params
        return not (params.max_entries_per_append or params.max_append_bytes)

    def _node_info(self, n: int) -> tuple[frozenset[int], frozenset[int], int]:
        info = self._nodes.get(n)
        if info is None:
            node = self.universe.node_states[n]
            terms = frozenset(_node_terms_used(node))
            info = self._nodes[n] = (terms, frozenset(_node_indexes_used(node)), last_index(node.log, node.snapshot))
        return info

    def _message_info(self, m: int) -> tuple[frozenset[int], frozenset[int], int]:
        info = self._messages.get(m)
        if info is None:
            message = self.universe.messages[m]
            info = self._messages[m] = (frozenset(_message_terms(message)), frozenset(_message_indexes(message)), 0)
        return info


def _canonical(terms: set[int]) -> bool:
    """The renumbering would change nothing: used terms are 0, 1, ... with gaps of at most _MAX_GAP."""
    previous = 0
    for term in sorted(terms):
        if term - previous > _MAX_GAP:
            return False
        previous = term
    return True


# ---- terms -----------------------------------------------------------------


def _renumber_terms(nodes: list[NodeState], messages: list[Message]) -> tuple[list[NodeState], list[Message]]:
    used = {0}
    for node in nodes:
        used.update(_node_terms_used(node))
    for message in messages:
        used.update(_message_terms(message))
    mapping: dict[int, int] = {}
    previous_old = previous_new = 0
    for term in sorted(used):
        previous_new = previous_new + min(term - previous_old, _MAX_GAP) if term else 0
        mapping[term] = previous_new
        previous_old = term
    if all(old == new for old, new in mapping.items()):
        return nodes, messages
    return [_node_terms(n, mapping.__getitem__) for n in nodes], [_message_with(m, mapping.__getitem__, None) for m in messages]


def _node_terms_used(node: NodeState) -> list[int]:
    terms = [node.current_term, *(e.term for e in node.log)]
    if node.snapshot is not None:
        terms.append(node.snapshot.term)
    return terms


def _message_terms(message: Message) -> list[int]:
    kind = type(message)
    if kind is AppendEntriesRequest:
        return [message.term, message.prev_log_term, *(e.term for e in message.entries)]
    if kind is InstallSnapshotRequest:
        return [message.term, message.snapshot.term]
    if kind is RequestVoteRequest:
        return [message.term, message.last_log_term]
    if kind in (AppendEntriesResponse, RequestVoteResponse, TimeoutNow):
        return [message.term]
    return []


def _node_terms(node: NodeState, term: Callable[[int], int]) -> NodeState:
    log = tuple(Entry(term(e.term), e.payload) for e in node.log)
    snapshot = None if node.snapshot is None else replace(node.snapshot, term=term(node.snapshot.term))
    return replace(node, current_term=term(node.current_term), log=log, snapshot=snapshot)


# ---- indexes ---------------------------------------------------------------


def _drop_noops(nodes: list[NodeState], messages: list[Message],
                removable: list[int]) -> tuple[list[NodeState], list[Message]]:
    gone = set(removable)

    def shift(index: int) -> int:
        return index - sum(1 for i in removable if i < index)

    return ([_node_indexes(n, gone, shift) for n in nodes],
            [_message_with(m, None, (gone, shift)) for m in messages])


def _node_indexes_used(node: NodeState) -> list[int]:
    """The indexes a node points at, and the one before each next index (the next prev_log_index).

    With compaction, also every entry it has applied and not yet compacted: how many there are decides when
    it compacts, so none of them may disappear.
    """
    base = snapshot_index(node.snapshot)
    found = [last_index(node.log, node.snapshot), node.commit_index, node.config_index]
    if node.snapshot is not None:
        found += (base, node.snapshot.config_index)
    if node.params.compact_log_after:
        found += range(base + 1, node.commit_index + 1)
    for progress in node.progress:
        found += (progress.next_index, progress.next_index - 1, progress.match_index)
    if node.catchup is not None:
        found.append(node.catchup.round_target)
    found += (change.index for change in node.pending_changes)
    return found


def _message_indexes(message: Message) -> list[int]:
    kind = type(message)
    if kind is AppendEntriesRequest:
        return [message.prev_log_index, message.prev_log_index + len(message.entries), message.leader_commit]
    if kind is AppendEntriesResponse:
        return [message.match_index, message.conflict_index, message.conflict_index - 1]
    if kind is RequestVoteRequest:
        return [message.last_log_index]
    if kind is InstallSnapshotRequest:
        return [message.snapshot.index, message.snapshot.config_index]
    return []


def _same_noop_everywhere(index: int, nodes: list[NodeState], messages: list[Message]) -> bool:
    """Every copy of entry `index` that a log or a message shows is one no-op (snapshots show none)."""
    seen: Entry | None = None
    for entries, first in [(n.log, snapshot_index(n.snapshot) + 1) for n in nodes] + [
        (m.entries, m.prev_log_index + 1) for m in messages if type(m) is AppendEntriesRequest
    ]:
        if first <= index < first + len(entries):
            entry = entries[index - first]
            if type(entry.payload) is not Noop or (seen is not None and entry != seen):
                return False
            seen = entry
    return True


def _node_indexes(node: NodeState, gone: set[int], shift: Callable[[int], int]) -> NodeState:
    base = snapshot_index(node.snapshot)
    log = tuple(e for i, e in enumerate(node.log, base + 1) if i not in gone)
    snapshot = node.snapshot
    if snapshot is not None:
        snapshot = replace(snapshot, index=shift(snapshot.index), config_index=shift(snapshot.config_index))
    return replace(
        node,
        log=log,
        snapshot=snapshot,
        commit_index=shift(node.commit_index),
        config_index=shift(node.config_index),
        progress=tuple(replace(p, next_index=shift(p.next_index), match_index=shift(p.match_index))
                       for p in node.progress),
        catchup=None if node.catchup is None else replace(node.catchup, round_target=shift(node.catchup.round_target)),
        pending_changes=tuple(replace(c, index=shift(c.index)) for c in node.pending_changes),
    )


def _message_with(
    message: Message,
    term: Callable[[int], int] | None,
    indexes: tuple[set[int], Callable[[int], int]] | None,
) -> Message:
    """`message` with its terms mapped by `term`, or its indexes shifted past the removed entries."""
    kind = type(message)
    if kind is AppendEntriesRequest:
        if term is not None:
            entries = tuple(Entry(term(e.term), e.payload) for e in message.entries)
            return replace(message, term=term(message.term), prev_log_term=term(message.prev_log_term), entries=entries)
        gone, shift = indexes
        first = message.prev_log_index + 1
        entries = tuple(e for i, e in enumerate(message.entries, first) if i not in gone)
        return replace(message, prev_log_index=shift(message.prev_log_index), entries=entries,
                       leader_commit=shift(message.leader_commit))
    if kind is RequestVoteRequest:
        if term is not None:
            return replace(message, term=term(message.term), last_log_term=term(message.last_log_term))
        return replace(message, last_log_index=indexes[1](message.last_log_index))
    if kind is AppendEntriesResponse:
        if term is not None:
            return replace(message, term=term(message.term))
        shift = indexes[1]
        return replace(message, match_index=shift(message.match_index), conflict_index=shift(message.conflict_index))
    if kind is InstallSnapshotRequest:
        snapshot = message.snapshot
        if term is not None:
            return replace(message, term=term(message.term), snapshot=replace(snapshot, term=term(snapshot.term)))
        shift = indexes[1]
        return replace(message, snapshot=replace(snapshot, index=shift(snapshot.index),
                                                 config_index=shift(snapshot.config_index)))
    if kind in (RequestVoteResponse, TimeoutNow) and term is not None:
        return replace(message, term=term(message.term))
    return message
