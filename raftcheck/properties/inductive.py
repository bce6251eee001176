"""Invariants that fail at the step where a bug happens, not many steps later.

Proofs of Raft (Ongaro's TLA+ proof, Verdi, inductive invariants for
asynchronous Raft) rest on facts stronger than the paper's five properties,
true in every reachable state. A faulty step breaks them at once, so the
counterexample ends where the bug is, not where its damage shows.
"""

from __future__ import annotations

from collections.abc import Callable

from raftcheck.core import AppendEntriesResponse, Message, NodeState, Role
from raftcheck.core.log import is_up_to_date, last_term
from raftcheck.model.cluster import ClusterView
from raftcheck.properties.replies import replay_committed


def first_node_failing(view: ClusterView, check: Callable[[NodeState], str | None]) -> str | None:
    """The first node a per-node check fails on; each node state is checked once per model."""
    for node, node_key in zip(view.nodes, view.keys):
        key = (check, node_key)
        if key not in view.memo:
            view.memo[key] = check(node)
        if view.memo[key]:
            return view.memo[key]
    return None


def commit_within_log(view: ClusterView) -> str | None:
    """A node's commit index never exceeds its log: it cannot have applied what it does not hold."""
    for node in view.nodes:
        if node.commit_index > len(node.log):
            return f"{node.id} has commit index {node.commit_index} over a log of {len(node.log)} entries"
    return None


def log_terms_ordered(view: ClusterView) -> str | None:
    """The terms in a node's log never decrease and never exceed its current term (a log, with its snapshot, is
    a sequence of leaders' appends in increasing terms)."""
    return first_node_failing(view, _disordered_terms)


def _disordered_terms(node: NodeState) -> str | None:
    previous = 0
    for index, entry in enumerate(node.log, 1):
        if entry.term < previous:
            return f"{node.id}'s log has term {entry.term} at index {index}, after term {previous}"
        previous = entry.term
    if previous > node.current_term:
        return f"{node.id}'s log holds an entry of term {previous}, beyond its current term {node.current_term}"
    return None


def candidates_vote_for_themselves(view: ClusterView) -> str | None:
    """A candidate or leader has voted for itself in its term, so it cannot also grant that vote to a rival."""
    return first_node_failing(view, _vote_astray)


def _vote_astray(node: NodeState) -> str | None:
    if node.role in (Role.CANDIDATE, Role.LEADER) and node.voted_for != node.id:
        return f"{node.id}, {node.role.value} of term {node.current_term}, voted for {node.voted_for}"
    return None


def progress_is_consistent(view: ClusterView) -> str | None:
    """A leader's matchIndex for a peer is below its nextIndex, and neither points past its own log (etcd's
    Progress invariant: a peer cannot hold more than the leader sent, nor be sent what it already holds)."""
    return first_node_failing(view, _inconsistent_progress)


def _inconsistent_progress(node: NodeState) -> str | None:
    if node.role is not Role.LEADER:
        return None
    last = len(node.log)
    for progress in node.progress:
        if not progress.match_index < progress.next_index <= last + 1:
            return (f"{node.id}, leader of term {node.current_term} with {last} entries, has matchIndex "
                    f"{progress.match_index} and nextIndex {progress.next_index} for {progress.peer}")
    return None


def no_electable_node_lacks_committed(view: ClusterView) -> str | None:
    """A node that lacks a committed entry cannot win an election: its log is behind the log of a majority of
    the voters it would ask. This is the lemma behind Leader Completeness (the committing quorum holds the
    entry and a log at least as new), so it breaks at the commit that is unsafe, before anyone wins without it.
    """
    committed = view.committed
    if not committed:
        return None
    key = ("NoElectableNodeLacksCommitted", view.keys, view.committed_keys)
    if key not in view.memo:
        view.memo[key] = _electable_without(view.nodes, committed)
    return view.memo[key]


def _electable_without(nodes: tuple[NodeState, ...], committed: tuple) -> str | None:
    voters = {node.id: node for node in nodes if node.role is not Role.BOOTSTRAP}
    for node in voters.values():
        if node.log[: len(committed)] == committed:
            continue
        granting = [peer for peer in node.config if peer in voters
                    and is_up_to_date(last_term(node.log), len(node.log), voters[peer].log)]
        if 2 * len(granting) > len(node.config):
            index = next(i for i, entry in enumerate(committed, 1) if len(node.log) < i or node.log[i - 1] != entry)
            return (f"{node.id} lacks committed entry {index}, yet its log is as up to date as those of "
                    f"{', '.join(granting)}, a majority of its configuration: it can win an election without it")
    return None


def state_machine_matches_log(view: ClusterView) -> str | None:
    """Each node's state machine and client sessions are what applying its committed prefix gives."""
    return first_node_failing(view, _machine_mismatch)


def match_index_within_shared_log(view: ClusterView) -> str | None:
    """A leader's matchIndex for a peer in its own term never claims more than the two logs share."""
    nodes = {node.id: node for node in view.nodes}
    for leader in view.nodes:
        if leader.role is not Role.LEADER:
            continue
        for progress in leader.progress:
            peer = nodes.get(progress.peer)
            if peer is None or peer.current_term != leader.current_term or progress.match_index == 0:
                continue
            match = progress.match_index
            if len(peer.log) < match or peer.log[:match] != leader.log[:match]:
                return (
                    f"{leader.id}, leader of term {leader.current_term}, has matchIndex {match} for {peer.id}, "
                    f"whose log shares less with it"
                )
    return None


def votes_agree_with_voters(view: ClusterView) -> str | None:
    """The votes a candidate or leader counted were granted: each voter still in that term voted for it."""
    nodes = {node.id: node for node in view.nodes}
    for node in view.nodes:
        if len(set(node.votes)) != len(node.votes):
            return f"{node.id} counted a voter twice in term {node.current_term}: {list(node.votes)}"
        for voter in node.votes:
            other = nodes.get(voter)
            if other is not None and other.current_term == node.current_term and other.voted_for != node.id:
                return (
                    f"{node.id} counts {voter}'s vote in term {node.current_term}, "
                    f"but {voter} voted for {other.voted_for}"
                )
    return None


def leader_holds_its_terms_entries(view: ClusterView) -> str | None:
    """Every entry of term T in any log is in the log of T's leader at the same index, while it leads.

    Only the leader of a term creates entries of that term, and it never drops them while it leads.
    """
    for leader in view.nodes:
        if leader.role is not Role.LEADER:
            continue
        term, log = leader.current_term, leader.log
        for node in view.nodes:
            shared = min(len(node.log), len(log))
            # Fast path (C speed, and logs share entry objects): a prefix of the leader's log holds only its entries.
            start = shared if node.log[:shared] == log[:shared] else 0
            for index, entry in enumerate(node.log[start:], start + 1):
                if entry.term == term and (len(leader.log) < index or leader.log[index - 1] != entry):
                    return f"{node.id} holds an entry of term {term} at index {index} that its leader {leader.id} lacks"
    return None


def committed_entries_kept(message: Message) -> str | None:
    """No follower is asked to overwrite entries it has committed (it refuses, and says so): judged on each
    message in flight."""
    if type(message) is AppendEntriesResponse and message.refused:
        return f"{message.src} was asked by {message.dst} to overwrite entries it has committed, and refused"
    return None


def _machine_mismatch(node: NodeState) -> str | None:
    machine, sessions, _ = replay_committed(node)
    if machine != node.machine:
        return f"{node.id}'s state machine {node.machine!r} is not its committed log's {machine!r}"
    if sessions != node.sessions:
        return f"{node.id}'s client sessions {node.sessions!r} are not its committed log's {sessions!r}"
    return None
