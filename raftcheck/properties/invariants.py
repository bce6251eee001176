"""Raft's safety properties (paper Fig. 3) and the single-server membership invariants.

Each invariant is a function of a ClusterView (node states plus the history
variables) returning None when it holds, or one line naming the offending
nodes and entries. The reply invariants (`replies.py`), LeaderAppendOnly among
them, judge one node's step through the core instead.
"""

from __future__ import annotations

from itertools import combinations

from raftcheck.core import ConfigChange, Entry, NodeState, Role
from raftcheck.model.checks import Invariant
from raftcheck.model.cluster import ClusterView
from raftcheck.properties.bootstrap import bootstrap_waits_to_be_named, waits_though_named
from raftcheck.properties.inductive import (
    candidates_vote_for_themselves,
    commit_within_log,
    committed_entries_kept,
    first_node_failing,
    leader_holds_its_terms_entries,
    log_terms_ordered,
    match_index_within_shared_log,
    no_electable_node_lacks_committed,
    progress_is_consistent,
    state_machine_matches_log,
    votes_agree_with_voters,
)
from raftcheck.properties.prefixes import RecentPrefixes
from raftcheck.properties.quorums import disjoint_majorities
from raftcheck.properties.replies import (
    client_replies_are_truthful,
    leader_append_only,
    snapshots_are_faithful,
    membership_replies_are_truthful,
    messages_are_addressed,
    votes_go_to_up_to_date_logs,
)


def election_safety(view: ClusterView) -> str | None:
    """Election Safety: at most one leader can be elected in a given term."""
    for (term, first), (next_term, second) in zip(view.elected, view.elected[1:]):
        if term == next_term:
            return f"{first} and {second} were both elected leader in term {term}"
    return None


def log_matching(view: ClusterView) -> str | None:
    """Log Matching: if two logs contain an entry with the same index and term, then the logs
    are identical in all entries up through the given index."""
    nodes, keys, memo = view.nodes, view.keys, view.memo
    for i, j in combinations(range(len(nodes)), 2):
        key = ("LogMatching", keys[i], keys[j])
        if key not in memo:
            memo[key] = _logs_match(nodes[i], nodes[j])
        if memo[key]:
            return memo[key]
    return None


def leader_completeness(view: ClusterView) -> str | None:
    """Leader Completeness: if a log entry is committed in a given term, then that entry will be
    present in the logs of the leaders for all higher-numbered terms."""
    for node, node_key in zip(view.nodes, view.keys):
        if node.role is not Role.LEADER:
            continue
        key = ("LeaderCompleteness", node_key, view.committed_keys, view.commit_terms)
        if key not in view.memo:
            view.memo[key] = _missing_committed_entry(node, view.committed, view.commit_terms)
        if view.memo[key]:
            return view.memo[key]
    return None


def state_machine_safety(view: ClusterView) -> str | None:
    """State Machine Safety: if a server has applied a log entry at a given index to its state
    machine, no other server will ever apply a different log entry for the same index.

    Entries apply as they commit, so a node has applied exactly its committed prefix;
    the history variable `committed` holds the first entry applied at each index.
    """
    for node in view.nodes:
        applied = node.log[: node.commit_index]
        if applied != view.committed[: len(applied)]:
            index = next(i for i, (a, b) in enumerate(zip(applied, view.committed), 1) if a != b)
            return (
                f"{node.id} applied {short_entry(applied[index - 1])} at index {index}, "
                f"where {short_entry(view.committed[index - 1])} was applied before"
            )
    return None


def single_uncommitted_config(view: ClusterView) -> str | None:
    """At most one uncommitted configuration entry is in any leader's log (thesis 4.1)."""
    committed = len(view.committed)
    for node in view.nodes:
        if node.role is Role.LEADER and node.config_index > committed:
            pending = [i for i, e in enumerate(node.log[committed:], committed + 1) if type(e.payload) is ConfigChange]
            if len(pending) > 1:
                return f"{node.id}, leader of term {node.current_term}, has uncommitted configurations at {pending}"
    return None


def configs_differ_by_one(view: ClusterView) -> str | None:
    """Consecutive configurations in any log differ by at most one server (thesis 4.1)."""
    return first_node_failing(view, _config_jump)


def quorum_overlap(view: ClusterView) -> str | None:
    """Every two configurations that can decide at the same time have intersecting majorities.

    Those are the latest configurations of nodes whose logs hold every committed
    entry: any future leader's log descends from one of them. Checked with z3,
    which reports a pair of disjoint majorities as the witness.
    """
    committed = view.committed
    live = sorted({node.config for node in view.nodes if node.config and node.log[: len(committed)] == committed})
    for first, second in combinations(live, 2):
        witness = disjoint_majorities(first, second)
        if witness:
            holders = lambda config: ",".join(n.id for n in view.nodes if n.config == config)  # noqa: E731
            return (
                f"configurations {_set(first)} (at {holders(first)}) and {_set(second)} (at {holders(second)}) "
                f"have disjoint majorities {_set(witness[0])} and {_set(witness[1])}"
            )
    return None


def _logs_match(a: NodeState, b: NodeState) -> str | None:
    shared = _last_index_with_same_term(a.log, b.log)
    if a.log[:shared] == b.log[:shared]:
        return None
    index = next(i for i in range(1, shared + 1) if a.log[i - 1] != b.log[i - 1])
    return (
        f"{a.id} and {b.id} agree on the term of entry {shared} (term {a.log[shared - 1].term}) "
        f"but differ at entry {index}: {short_entry(a.log[index - 1])} vs {short_entry(b.log[index - 1])}"
    )


def _missing_committed_entry(leader: NodeState, committed: tuple[Entry, ...], terms: tuple[int, ...]) -> str | None:
    if leader.log[: len(committed)] == committed:
        return None  # the common case, at C speed
    for index, (entry, term) in enumerate(zip(committed, terms), 1):
        if leader.current_term > term and (len(leader.log) < index or leader.log[index - 1] != entry):
            return (
                f"{leader.id}, leader of term {leader.current_term}, lacks entry {index} "
                f"({short_entry(entry)}) committed in term {term}"
            )
    return None


def named_nodes_leave_bootstrap(view: ClusterView) -> str | None:
    """No node waits in Bootstrap mode with a configuration that names it, whether a step or a restart left it
    there (a member that never votes leaves its configuration's majorities one server short)."""
    return first_node_failing(view, waits_though_named)


def _config_jump(node: NodeState) -> str | None:
    configs = _configs_in(node.log)
    for (i, old), (j, new) in zip(configs, configs[1:]):
        if len(set(old) ^ set(new)) > 1:
            return f"{node.id}'s log changes configuration {_set(old)} at {i} to {_set(new)} at {j}"
    return None


RAFT_INVARIANTS: tuple[Invariant, ...] = (
    # First: where a vote went astray, a second leader of its term may already exist, and these name the cause.
    Invariant("VotesAgreeWithVoters", votes_agree_with_voters),
    Invariant("CandidatesVoteForThemselves", candidates_vote_for_themselves),
    Invariant("ElectionSafety", election_safety),
    Invariant("LogMatching", log_matching),
    Invariant("LeaderCompleteness", leader_completeness),
    Invariant("StateMachineSafety", state_machine_safety),
    Invariant("SingleUncommittedConfig", single_uncommitted_config),
    Invariant("ConfigsDifferByOne", configs_differ_by_one),
    Invariant("QuorumOverlap", quorum_overlap),
    Invariant("LeaderAppendOnly", leader_append_only, on_replies=True),
    Invariant("CommitWithinLog", commit_within_log),
    Invariant("LogTermsOrdered", log_terms_ordered),
    Invariant("StateMachineMatchesLog", state_machine_matches_log),
    Invariant("MatchIndexWithinSharedLog", match_index_within_shared_log),
    Invariant("ProgressIsConsistent", progress_is_consistent),
    Invariant("LeaderHoldsItsTermsEntries", leader_holds_its_terms_entries),
    Invariant("NoElectableNodeLacksCommitted", no_electable_node_lacks_committed),
    Invariant("CommittedEntriesKept", committed_entries_kept, on_network=True),
    Invariant("MessagesAreAddressed", messages_are_addressed, on_replies=True),
    Invariant("ClientRepliesAreTruthful", client_replies_are_truthful, on_replies=True),
    Invariant("MembershipRepliesAreTruthful", membership_replies_are_truthful, on_replies=True),
    Invariant("SnapshotsAreFaithful", snapshots_are_faithful, on_replies=True),
    Invariant("BootstrapWaitsToBeNamed", bootstrap_waits_to_be_named, on_replies=True),
    Invariant("VotesGoToUpToDateLogs", votes_go_to_up_to_date_logs, on_replies=True),
    Invariant("NamedNodesLeaveBootstrap", named_nodes_leave_bootstrap),
)

ALL_INVARIANTS = tuple(invariant.name for invariant in RAFT_INVARIANTS)


_CONFIGS: RecentPrefixes[tuple[tuple[int, tuple[str, ...]], ...]] = RecentPrefixes()


def _configs_in(log: tuple[Entry, ...]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(index, servers) of every configuration entry in `log`, resumed from a recent shorter prefix."""
    found, done = _CONFIGS.resume(None, log)
    if done < len(log) or found is None:
        more = tuple((i, e.payload.servers) for i, e in enumerate(log[done:], done + 1) if type(e.payload) is ConfigChange)
        found = (found or ()) + more
        _CONFIGS.keep(None, log, found)
    return found


def _last_index_with_same_term(a: tuple[Entry, ...], b: tuple[Entry, ...]) -> int:
    for index in range(min(len(a), len(b)), 0, -1):
        if a[index - 1].term == b[index - 1].term:
            return index
    return 0


def short_entry(entry: Entry) -> str:
    """An entry in a few characters: `set x v1@t2`, `config{n1,n2}@t1`, `noop@t3`."""
    payload = entry.payload
    if type(payload) is ConfigChange:
        return f"config{_set(payload.servers)}@t{entry.term}"
    if hasattr(payload, "op"):
        return f"{' '.join(payload.op)}@t{entry.term}"
    return f"noop@t{entry.term}"


def _set(servers) -> str:
    return "{" + ",".join(servers) + "}"
